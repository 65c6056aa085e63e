"""Service cases raised by customers and their notes (write side)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.merges import LIVE_OWNER
from graph.writes import write_rows

# row: {case_id, customer_id, channel_id|None, order_id|None, props: {opened_at, subject, status}}
UPSERT_SERVICE_CASES = """
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
OPTIONAL MATCH (ch:Channel {channel_id: row.channel_id})
OPTIONAL MATCH (o:Order {order_id: row.order_id})
WITH row, c, ch, o
WHERE (row.channel_id IS NULL OR ch IS NOT NULL) AND (row.order_id IS NULL OR o IS NOT NULL)
""" + LIVE_OWNER + """
MERGE (k:ServiceCase {case_id: row.case_id})
SET k += row.props
MERGE (owner)-[r:RAISED]->(k)
ON CREATE SET r.merges = merges
WITH k, ch, o
CALL (k, ch) { WITH k, ch WHERE ch IS NOT NULL MERGE (k)-[:VIA]->(ch) }
CALL (k, o) { WITH k, o WHERE o IS NOT NULL MERGE (k)-[:ABOUT_ORDER]->(o) }
RETURN count(*) AS written
"""

# row: {note_id, case_id, props: {at, author, text}}
UPSERT_SERVICE_NOTES = """
UNWIND $rows AS row
MATCH (k:ServiceCase {case_id: row.case_id})
MERGE (n:ServiceNote {note_id: row.note_id})
SET n += row.props
MERGE (k)-[:HAS_NOTE]->(n)
RETURN count(*) AS written
"""


def upsert_service_cases(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update service cases of existing customers."""
    return write_rows(graph, UPSERT_SERVICE_CASES, rows)


def upsert_service_notes(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Add notes to existing service cases."""
    return write_rows(graph, UPSERT_SERVICE_NOTES, rows)
