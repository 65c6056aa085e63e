"""DateTime as the API writes it out (pure logic)."""

from __future__ import annotations

import datetime as dt

import dateutil.parser
import pytest

from api.scalars import serialize_datetime


@pytest.mark.parametrize("text", [
    "2026-12-08T03:44:01.982109+00:00",      # as precompute and the worker store computedAt
    "2026-12-08T03:44:01+02:00", "2026-12-08T03:44:01Z", "2026-12-08T03:44:01.123456789+00:00",
    "2026-12-08T03:44:01,5-05:30", "2026-12-08T03", "2026-12-08T24:00:00", "2026-12"])
def test_iso_text_is_written_in_utc_as_dateutil_reads_it(text: str) -> None:
    read = dateutil.parser.isoparse(text)
    read = read if read.tzinfo else read.replace(tzinfo=dt.timezone.utc)
    assert serialize_datetime(text) == read.astimezone(dt.timezone.utc).isoformat()
