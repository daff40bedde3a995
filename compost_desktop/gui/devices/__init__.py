"""Devices page: the farm-wide registry of sensors, their roles, names, clocks and colours."""
