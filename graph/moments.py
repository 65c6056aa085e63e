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
