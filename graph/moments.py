"""Moments across the driver without its DateTime values.

The Neo4j driver packs and unpacks every datetime in pure Python (about 100 µs a value on the development
machine, more than Neo4j spends on a row), so the bulk paths send and read moments as integers: writes send
[epoch seconds, microseconds] (`epoch_moment`) that Cypher turns back into a UTC datetime (`moment_from`);
reads return `x.epochSeconds * 1000000 + x.microsecond` and Python makes the datetime (`utc_from_micros`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(hours=1)   # how far ahead of this machine's clock a recorded time may be


def utc(moment: datetime) -> datetime:
    """The same instant in datetime.UTC, for a query parameter: the driver must never be sent a ZoneInfo zone,
    whose C code crashes the process on the driver's own DateTime (CPython issue 125318; the pure-Python
    zoneinfo raises instead)."""
    return moment.astimezone(UTC)


def ahead_of_clock(moment: datetime, now: datetime | None = None) -> bool:
    """Whether an aware time lies further ahead than clocks drift: a sender's wrong date (a till set to 2030 would
    put its purchases ahead of every recency figure), not something that happened."""
    return moment > (now or datetime.now(UTC)) + CLOCK_SKEW


def epoch_moment(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """`rows` with the aware datetime props[key] moved to row[key] as [epoch seconds, microseconds] (or None)."""
    return [{**row, "props": {k: v for k, v in row["props"].items() if k != key},
             key: _epoch_pair(row["props"].get(key), key)} for row in rows]


def moment_from(pair: str) -> str:
    """Cypher for the UTC datetime of an epoch_moment pair (null stays null)."""
    return (f"CASE WHEN {pair} IS NULL THEN null "
            f"ELSE datetime({{epochSeconds: {pair}[0], nanosecond: {pair}[1] * 1000}}) END")


def utc_from_micros(micros: int | None) -> datetime | None:
    """The UTC datetime of a moment read as microseconds since the epoch (None stays None)."""
    return None if micros is None else EPOCH + timedelta(microseconds=micros)


def _epoch_pair(moment: datetime | None, key: str) -> list[int] | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"{key} {moment.isoformat()} has no time-zone offset")
    delta = moment - EPOCH
    return [delta.days * 86_400 + delta.seconds, delta.microseconds]
