"""Moments as integers across the driver (pure logic; the round trip through Neo4j is in
tests/api/test_mutations.py and the loaders' tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from graph.moments import epoch_moment, utc_from_micros


def test_a_moment_travels_as_epoch_seconds_and_microseconds_outside_the_props() -> None:
    summer = timezone(timedelta(hours=2))
    rows = [{"order_id": "O1", "props": {"kind": "buy", "placed_at": datetime(2024, 6, 2, 12, 0, 0, 123456, summer)}},
            {"order_id": "O2", "props": {"placed_at": datetime(1969, 12, 31, 23, 59, 59, 500000, UTC)}},
            {"order_id": "O3", "props": {}}]
    sent = epoch_moment(rows, "placed_at")
    assert [row["placed_at"] for row in sent] == [[1717322400, 123456], [-1, 500000], None]
    assert sent[0]["props"] == {"kind": "buy"} and "placed_at" in rows[0]["props"]   # the caller's rows kept


def test_a_moment_without_offset_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="occurred_at 2024-06-02T12:00:00 has no time-zone offset"):
        epoch_moment([{"event_id": "E1", "props": {"occurred_at": datetime(2024, 6, 2, 12, 0)}}], "occurred_at")


def test_a_moment_read_as_microseconds_is_that_utc_instant() -> None:
    assert utc_from_micros(1717322400_123456) == datetime(2024, 6, 2, 12, 0, 0, 123456, timezone(timedelta(hours=2)))
    assert utc_from_micros(-500_000) == datetime(1969, 12, 31, 23, 59, 59, 500000, UTC)
    assert utc_from_micros(None) is None
