"""A segment's members as CSV for a campaign tool: one header row, UTF-8, RFC 4180 quoting, no live formulas."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

from graph import segments

CSV_COLUMNS = ("customer_id", "retailer_id", "first_name", "last_name", "email", "phone", "value_tier",
               "lifecycle_stage", "rfm_segment", "spend_minor")
MACHINE_COLUMNS = frozenset({"customer_id", "retailer_id", "spend_minor"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?[0-9]+")     # a bare number, e.g. a stored phone number: no formula


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with a single quote (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write the header and the rows; returns the number of rows."""
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: v if k in MACHINE_COLUMNS else safe_cell(v) for k, v in row.items()})
        n += 1
    return n


def export_segment(graph: Any, segment_id: str, out: TextIO, *, purpose: str = "marketing",
                   medium: str | None = None) -> int:
    """A saved segment's rows of graph.segments.stream_matching, by id; raises KeyError if unknown."""
    found = segments.segment_by_id(graph, segment_id)
    if found is None:
        raise KeyError(f"no segment {segment_id}")
    return write_csv(segments.stream_matching(graph, found.filter, purpose=purpose, medium=medium), out)
