"""Behavioural events (view, cart, wishlist, search, visit, return, purchase): the single write path."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.moments import epoch_moment, moment_from

# row: {event_id, customer_id|None, product_id|None, channel_id, store_id|None, props: {kind, occurred_at, ...}}
RECORD_EVENTS = """
UNWIND $rows AS row
MATCH (ch:Channel {channel_id: row.channel_id})
OPTIONAL MATCH (c:Customer {customer_id: row.customer_id})
OPTIONAL MATCH (p:Product {product_id: row.product_id})
OPTIONAL MATCH (s:Store {store_id: row.store_id})
WITH row, ch, c, p, s
WHERE (row.customer_id IS NULL OR c IS NOT NULL) AND (row.product_id IS NULL OR p IS NOT NULL)
  AND (row.store_id IS NULL OR s IS NOT NULL)
OPTIONAL MATCH (known:Event {event_id: row.event_id})
WITH row, ch, c, p, s, known IS NULL AS new
MERGE (e:Event {event_id: row.event_id})
ON CREATE SET e += row.props, e.occurred_at = """ + moment_from("row.occurred_at") + """,
  e.anonymous = row.customer_id IS NULL
WITH e, row, ch, c, p, s, new
CALL (e, ch, new) { WITH e, ch, new WHERE new CREATE (e)-[:VIA]->(ch) }
CALL (e, c, new) { WITH e, c, new WHERE new AND c IS NOT NULL CREATE (c)-[:DID]->(e) }
CALL (e, p, new) { WITH e, p, new WHERE new AND p IS NOT NULL CREATE (e)-[:ABOUT]->(p) }
CALL (e, s, new) { WITH e, s, new WHERE new AND s IS NOT NULL CREATE (e)-[:AT_STORE]->(s) }
RETURN row.event_id AS event_id, new
"""


def record_events(graph: Graph, rows: list[dict[str, Any]]) -> list[str]:
    """Store events idempotently by event_id; the ids that were new (first sighting wins)."""
    return [event_id for event_id, new in _record(graph, rows) if new]


def upsert_events(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Store events idempotently; rows written or already present (rows with missing references are not)."""
    return len(_record(graph, rows))


def _record(graph: Graph, rows: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(event_id, new) per written row; an id repeated within `rows` is new at most once."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["event_id"], row)
    if not first:
        return []
    unique = epoch_moment(list(first.values()), "occurred_at")
    news = dict(graph.write_tx(lambda tx: [(r["event_id"], r["new"]) for r in tx.run(RECORD_EVENTS, rows=unique)]))
    out = []
    for row in rows:
        if row["event_id"] in news:
            out.append((row["event_id"], news[row["event_id"]]))
            news[row["event_id"]] = False
    return out
