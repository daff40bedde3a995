"""The quantities the app knows by name: what sensors send, hand readings record and charts plot.

Below monitoring, so the services, the report and the charts name a quantity without
importing the MQTT parser.
"""

from __future__ import annotations

from typing import Final

TEMPERATURE: Final = "temperature"
MOISTURE: Final = "moisture"
HUMIDITY: Final = "humidity"
O2: Final = "o2"
CO2: Final = "co2"
CANONICAL_QUANTITIES: Final = frozenset({TEMPERATURE, MOISTURE, HUMIDITY, O2, CO2})
