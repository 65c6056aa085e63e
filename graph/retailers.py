"""Retailers: the businesses whose customers, stores and products share an id namespace."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.writes import write_rows

UPSERT_RETAILERS = """
UNWIND $rows AS row
MERGE (r:Retailer {retailer_id: row.retailer_id})
SET r.name = row.name, r.currency = row.currency, r.timezone = row.timezone
RETURN count(*) AS written
"""


def upsert_retailers(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update retailers {retailer_id, name, currency, timezone}."""
    return write_rows(graph, UPSERT_RETAILERS, rows)


RETAILER_TIMEZONES = "MATCH (r:Retailer) RETURN r.retailer_id AS retailer_id, r.timezone AS timezone ORDER BY retailer_id"


def retailer_timezones(graph: Graph) -> dict[str, str | None]:
    """Every retailer's IANA time zone name."""
    return {r["retailer_id"]: r["timezone"] for r in graph.read(RETAILER_TIMEZONES)}


ORDER_COUNTS = """
MATCH (o:Order {retailer_id: $retailer_id})
RETURN o.kind AS kind, o.anonymous AS anonymous, count(*) AS n
"""


def retailer_order_counts(graph: Graph, retailer_id: str) -> dict[tuple[str, bool], int]:
    """A retailer's orders counted by (kind, anonymous)."""
    return {(r["kind"], r["anonymous"]): r["n"] for r in graph.read(ORDER_COUNTS, retailer_id=retailer_id)}
