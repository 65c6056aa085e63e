"""Consents: one node per customer, purpose and medium holding the latest decision (write side)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.writes import write_rows

# row: {customer_id, purpose, medium, granted, updated_at|None, source|None}; an older decision never
# overwrites a newer one, so replaying a file in any order ends in the same state.
UPSERT_CONSENTS = """
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
MERGE (k:Consent {consent_id: row.customer_id + '|' + row.purpose + '|' + row.medium})
ON CREATE SET k.purpose = row.purpose, k.medium = row.medium
MERGE (c)-[:GAVE]->(k)
WITH k, row, (k.updated_at IS NULL OR row.updated_at IS NULL OR row.updated_at >= k.updated_at) AS newer
SET k.granted = CASE WHEN newer THEN row.granted ELSE k.granted END,
    k.source = CASE WHEN newer THEN row.source ELSE k.source END,
    k.updated_at = CASE WHEN newer THEN coalesce(row.updated_at, k.updated_at) ELSE k.updated_at END
RETURN count(*) AS written
"""


def upsert_consents(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Record consent decisions of existing customers; rows of unknown customers are not written."""
    return write_rows(graph, UPSERT_CONSENTS, rows)


def consent_id(customer_id: str, purpose: str, medium: str) -> str:
    """The key of a customer's consent for one purpose through one medium."""
    return f"{customer_id}|{purpose}|{medium}"
