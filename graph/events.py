"""Behavioural events (view, cart, wishlist, search, visit, return, purchase): the single write path."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.merges import LIVE_OWNER
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
""" + LIVE_OWNER + """
MERGE (e:Event {event_id: row.event_id})
ON CREATE SET e += row.props, e.occurred_at = """ + moment_from("row.occurred_at") + """,
  e.anonymous = row.customer_id IS NULL
WITH e, row, ch, owner, merges, p, s, new
CALL (e, ch, new) { WITH e, ch, new WHERE new CREATE (e)-[:VIA]->(ch) }
CALL (e, owner, merges, new) {
  WITH e, owner, merges, new WHERE new AND owner IS NOT NULL CREATE (owner)-[:DID {merges: merges}]->(e)
}
CALL (e, p, new) { WITH e, p, new WHERE new AND p IS NOT NULL CREATE (e)-[:ABOUT]->(p) }
CALL (e, s, new) { WITH e, s, new WHERE new AND s IS NOT NULL CREATE (e)-[:AT_STORE]->(s) }
RETURN row.event_id AS event_id, new, owner.customer_id AS customer_id
"""


def record_events(graph: Graph, rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """Store events idempotently by event_id; the ids that were new (first sighting wins), each with the live
    profile it now belongs to (graph.merges.LIVE_OWNER: a merged-away customer id's survivor; None: anonymous)."""
    return {event_id: owner for event_id, new, owner in _record(graph, rows) if new}


def upsert_events(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Store events idempotently; rows written or already present (rows with missing references are not)."""
    return len(_record(graph, rows))


def _record(graph: Graph, rows: list[dict[str, Any]]) -> list[tuple[str, bool, str | None]]:
    """(event_id, new, owner) per written row; an id repeated within `rows` is new at most once."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["event_id"], row)
    if not first:
        return []
    unique = epoch_moment(list(first.values()), "occurred_at")
    news = {r["event_id"]: (r["new"], r["customer_id"])
            for r in graph.write_tx(lambda tx: list(tx.run(RECORD_EVENTS, rows=unique)))}
    out = []
    for row in rows:
        if row["event_id"] in news:
            new, owner = news[row["event_id"]]
            out.append((row["event_id"], new, owner))
            news[row["event_id"]] = (False, owner)
    return out
