"""Fakes for the monitoring window: a sensor client fed by hand and a store with one cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from compost_desktop.gui.context import AppContext
from compost_desktop.gui.tasks import ChangeBus, ImmediateRunner
from compost_desktop.monitoring.client import LinkEvent, LinkState
from compost_desktop.monitoring.parsing import MessageParser, Reading
from compost_desktop.settings import Settings

T0 = datetime(2026, 6, 11, 8, 0, tzinfo=UTC)


class FakeClient:
    """Stands in for `SensorClient`: tests push items, the hub drains them."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.parser = MessageParser()
        self.dropped = 0
        self.started = False
        self.drains = 0

    def start(self) -> None:
        self.started = True

    def disconnect(self) -> None:
        pass

    def stop(self) -> None:
        self.started = False

    def drain(self, limit: int | None = None) -> list[Any]:
        self.drains += 1
        items, self.items = self.items[:limit], self.items[limit:] if limit else []
        return items

    def push(self, *items: Any) -> None:
        self.items.extend(items)

    def link(self, state: LinkState, at: datetime = T0, detail: str = "") -> None:
        self.items.append(LinkEvent(state, at, detail))


def reading(
    value: float,
    quantity: str = "temperature",
    device: str = "node-1",
    at: datetime = T0,
    seconds: float = 0.0,
) -> Reading:
    moment = at + timedelta(seconds=seconds)
    return Reading(device, quantity, value, moment, moment, "compost/sensor/data")


@dataclass
class FakeCycle:
    """The fields of `CycleRecord` the window reads."""

    name: str = "Windrow 7"
    start_date: date | None = date(2026, 6, 1)
    activated_at: datetime | None = None
    id: int = 1


@dataclass
class FakeStore:
    cycle: FakeCycle | None = field(default_factory=FakeCycle)

    def active_cycle(self) -> FakeCycle | None:
        return self.cycle


def make_ctx(settings: Settings | None = None) -> AppContext:
    bus = ChangeBus()
    return AppContext(settings or Settings(), ImmediateRunner(bus), bus)


class Clock:
    """A settable clock for stale and silence checks."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
