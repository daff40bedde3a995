"""Modules compiled from ui/*.ui by `make ui` (pyside6-uic); never edit them by hand."""
