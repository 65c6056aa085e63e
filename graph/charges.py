"""Charges: what a non-product line of an order stands for (postage, fees, manual adjustments, ...)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.writes import write_rows

# row: {charge_id, retailer_id, code, kind, name}
UPSERT_CHARGES = """
UNWIND $rows AS row
MERGE (t:Charge {charge_id: row.charge_id})
SET t.retailer_id = row.retailer_id, t.code = row.code, t.kind = row.kind, t.name = row.name
RETURN count(*) AS written
"""


def upsert_charges(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update charge types {charge_id, retailer_id, code, kind, name}."""
    return write_rows(graph, UPSERT_CHARGES, rows)
