"""Date and DateTime as the API shows them: ISO 8601, times in UTC to the microsecond.

The graph hands back neo4j.time values (nanosecond ISO text) and the offer cache ISO strings; both
are turned into plain Python values before they are written out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dateutil.parser
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition


def serialize_datetime(value: Any) -> str:
    """ISO 8601 in UTC (`2024-05-01T08:00:00+00:00`); naive values are taken as UTC."""
    if isinstance(value, str):
        value = _moment(value)
    if hasattr(value, "to_native"):
        value = value.to_native()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return str(value.astimezone(dt.timezone.utc).isoformat())


def _moment(text: str) -> dt.datetime:
    """ISO 8601 text as a datetime: Python's own parser (0.13 us, where dateutil's takes 6), dateutil's for the
    forms Python's refuses (`2026-12-08T24:00:00`, `2026-12`)."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return dateutil.parser.isoparse(text)


def serialize_date(value: Any) -> str:
    if hasattr(value, "to_native"):
        value = value.to_native()
    return str(value.isoformat())


DATETIME = ScalarDefinition(
    name="DateTime",
    description="A moment as ISO 8601 text with an offset, e.g. 2024-05-01T10:00:00+02:00. The API answers in "
                "UTC; input without an offset is refused where a moment matters.",
    specified_by_url=None, serialize=serialize_datetime,
    parse_value=wrap_parser(dateutil.parser.isoparse, "DateTime"), parse_literal=None, origin=dt.datetime)

DATE = ScalarDefinition(
    name="Date", description="A calendar date as ISO 8601 text, e.g. 1980-05-17.", specified_by_url=None,
    serialize=serialize_date, parse_value=wrap_parser(dt.date.fromisoformat, "Date"), parse_literal=None,
    origin=dt.date)

OVERRIDES: dict[object, ScalarDefinition] = {dt.datetime: DATETIME, dt.date: DATE}
