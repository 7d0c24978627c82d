"""MassGen writes times three ways: epoch floats (status.json, coordination
events, rounds), naive local ISO strings (execution_metadata.yaml, events.jsonl)
and local folder names (`20261124_044614_055392`). To put them on one timeline
the run's UTC offset is recovered from a pair of the same instant written both
ways; every time the reader hands out is then timezone-aware."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

_FOLDER_TIME = re.compile(r"(\d{8})_(\d{6})_(\d{6})")
# Offsets are whole quarter hours; a pair whose residual is larger than this
# was not written at the same instant and says nothing about the offset.
_OFFSET_STEP = timedelta(minutes=15)
_MAX_RESIDUAL = timedelta(minutes=5)
_MAX_OFFSET = timedelta(hours=14)


def as_epoch(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    # Before 2000 or after 2200: not a time MassGen wrote.
    return value if math.isfinite(value) and 946_684_800 <= value <= 7_258_118_400 else None


def parse_local_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed


def parse_folder_time(name: str) -> datetime | None:
    match = _FOLDER_TIME.search(name)
    if not match:
        return None
    day, clock, micros = match.groups()
    try:
        # Field by field: strptime costs ten times as much, per snapshot folder.
        return datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]), int(clock[:2]), int(clock[2:4]), int(clock[4:]), int(micros)
        )
    except ValueError:
        return None


def estimate_offset(local: datetime, epoch: float) -> timedelta | None:
    """The UTC offset that makes a naive local time and an epoch the same instant."""
    if local.tzinfo is not None:
        return local.utcoffset()
    as_utc = datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None)
    difference = local - as_utc
    steps = round(difference / _OFFSET_STEP)
    offset = steps * _OFFSET_STEP
    if abs(difference - offset) > _MAX_RESIDUAL or abs(offset) > _MAX_OFFSET:
        return None
    return offset


@dataclass(frozen=True, slots=True)
class RunClock:
    """Converts a run's times to aware datetimes. With an unknown offset, local
    times are taken as UTC so that every time stays comparable."""

    offset: timedelta | None

    @property
    def tz(self) -> timezone:
        return timezone(self.offset) if self.offset is not None else timezone.utc

    def from_epoch(self, value: Any) -> datetime | None:
        epoch = as_epoch(value)
        return None if epoch is None else datetime.fromtimestamp(epoch, tz=self.tz)

    def from_local(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo is not None else value.replace(tzinfo=self.tz)

    def from_local_iso(self, value: Any) -> datetime | None:
        return self.from_local(parse_local_iso(value))

    def from_folder(self, name: str) -> datetime | None:
        return self.from_local(parse_folder_time(name))
