"""Compost Desktop: plan, run and monitor compost cycles."""

__version__ = "0.1.0"
APP_NAME = "Compost Desktop"
APP_ID = "compost-desktop"
