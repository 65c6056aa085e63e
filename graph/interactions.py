"""Customer x product interactions for the recommender: purchases, returns and behavioural events."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from graph.driver import Graph, merged

Interactions = tuple[str, list[list[Any]], list[list[Any]]]   # customer_id, orders, events

# One record per customer holding their orders and their product events as lists: the driver's cost is per value
# decoded, so an order comes as one list holding its products, its time, kind, store and channel decoded once, not
# once per line (a third of the values for a grocery basket of nine lines: twice as fast a read), and an event as
# one flat list. Neither carries its id: each comes once (COLLECT keeps equal rows), which is all the recommender
# needs to tell baskets apart, and millions of id strings are not read and decoded. Void lines and till adjustments
# are skipped; times are epoch seconds so that no datetime is built; a line returned in a sale (negative quantity
# or kind 'return') is listed by its position among the products. An event's store and channel are looked up only
# for purchases: the recommender uses stores and channels of purchases alone (store and channel popularity, home
# stores), and views are most of the events (about a fifth less CPU for Neo4j on the generated retailer). Lists
# inside lists keep their nulls.
INTERACTIONS_OF_CUSTOMERS = """
UNWIND $customer_ids AS customer_id
MATCH (c:Customer {customer_id: customer_id})
RETURN customer_id,
       COLLECT {
         MATCH (c)-[:PLACED]->(o:Order)
         WHERE o.placed_at < $before AND coalesce(o.kind, 'purchase') <> 'adjustment'
         WITH o, [(o)-[l:CONTAINS]->(p:Product) WHERE coalesce(l.kind, 'sale') <> 'void' |
                  [p.product_id, l.quantity < 0 OR l.kind = 'return']] AS lines
         RETURN [o.placed_at.epochSeconds, CASE o.kind WHEN 'return' THEN 'return' ELSE 'purchase' END,
                 head([(o)-[:AT_STORE]->(s:Store) | s.store_id]), head([(o)-[:VIA]->(ch:Channel) | ch.channel_id]),
                 [line IN lines | line[0]], [i IN range(0, size(lines) - 1) WHERE lines[i][1] | i]]
       } AS orders,
       COLLECT {
         MATCH (c)-[:DID]->(e:Event)-[:ABOUT]->(p:Product)
         WHERE e.occurred_at < $before AND e.kind IN $event_kinds
         WITH e, p, e.kind = 'purchase' AS bought
         RETURN [p.product_id, e.occurred_at.epochSeconds, e.kind,
                 CASE WHEN bought THEN head([(e)-[:AT_STORE]->(s:Store) | s.store_id]) END,
                 CASE WHEN bought THEN head([(e)-[:VIA]->(ch:Channel) | ch.channel_id]) END]
       } AS events
"""
ORDER_FIELDS = ("at", "kind", "store_id", "channel_id", "product_ids", "returned_positions")
EVENT_FIELDS = ("product_id", "at", "kind", "store_id", "channel_id")

CUSTOMER_IDS = "MATCH (c:Customer {retailer_id: $retailer_id}) RETURN c.customer_id AS customer_id"

# A customer's retailer, home store, latest personalisation consent and every interaction, in one round trip;
# an order's store, time and kind are read once per order, not per line (a third of the read for long histories).
CUSTOMER_WITH_INTERACTIONS = """
MATCH (c:Customer {customer_id: $customer_id})
RETURN c.retailer_id AS retailer_id,
       head([(c)-[:HOME_STORE]->(s:Store) | s.store_id]) AS home_store_id,
       head(COLLECT {
         MATCH (c)-[:GAVE]->(k:Consent {purpose: 'personalisation'})
         RETURN k.granted AS granted ORDER BY k.updated_at DESC LIMIT 1
       }) AS personalisation,
       [(c)-[:HAS_IDENTITY]->(i:Identity) | [i.kind, i.value]] AS identities,
       COLLECT {
         MATCH (c)-[:PLACED]->(o:Order)
         WHERE coalesce(o.kind, 'purchase') <> 'adjustment'
         WITH o, head([(o)-[:AT_STORE]->(s:Store) | s.store_id]) AS store_id, o.placed_at.epochSeconds AS at,
              o.kind = 'return' AS returned
         MATCH (o)-[l:CONTAINS]->(p:Product)
         WHERE coalesce(l.kind, 'sale') <> 'void'
         RETURN [p.product_id, o.order_id, at,
                 CASE WHEN returned OR l.quantity < 0 OR l.kind = 'return' THEN 'return' ELSE 'purchase' END,
                 store_id] AS row
         UNION ALL
         MATCH (c)-[:DID]->(e:Event)-[:ABOUT]->(p:Product)
         WHERE e.kind IN $event_kinds
         RETURN [p.product_id, e.event_id, e.occurred_at.epochSeconds, e.kind,
                 head([(e)-[:AT_STORE]->(s:Store) | s.store_id])] AS row
       } AS rows
"""
RECORD_FIELDS = ("product_id", "basket_id", "at", "kind", "store_id")

def stream_interactions(graph: Graph, retailer_id: str, before: Any, event_kinds: list[str],
                        page: int = 250, readers: int = 1) -> Iterator[Interactions]:
    """Every order and product event of the retailer's customers before `before` (aware datetime).

    One (customer_id, orders, events) per customer: orders as lists in ORDER_FIELDS order, events in EVENT_FIELDS
    order, `at` in epoch seconds. One query per `page` customers, so no transaction runs into the server's time
    limit however large the retailer; with `readers` > 1 that many queries run at once (the server reads one page
    while the driver decodes another), and customers come in no fixed order.
    """
    customer_ids = [r["customer_id"] for r in graph.stream(CUSTOMER_IDS, retailer_id=retailer_id)]
    pages = [customer_ids[start:start + page] for start in range(0, len(customer_ids), page)]

    def read(mine: list[list[str]]) -> Iterator[Interactions]:
        for ids in mine:
            for customer_id, orders, events in graph.stream(INTERACTIONS_OF_CUSTOMERS, customer_ids=ids,
                                                            before=before, event_kinds=event_kinds):
                yield customer_id, orders, events
    yield from read(pages) if readers <= 1 or len(pages) < 2 else merged(
        [partial(read, pages[k::readers]) for k in range(readers)], batch=50)


def customer_with_interactions(graph: Graph, customer_id: str, event_kinds: list[str]
                               ) -> tuple[dict[str, Any], list[list[Any]]] | None:
    """(profile, interactions) of one customer in one round trip; None if unknown.

    profile: retailer_id, home_store_id, personalisation (latest consent's `granted`, None if never asked),
    identities ([kind, value] pairs); interactions: lists in RECORD_FIELDS order (product_id, basket_id, at in
    epoch seconds, kind, store_id).
    """
    records = graph.read(CUSTOMER_WITH_INTERACTIONS, customer_id=customer_id, event_kinds=event_kinds)
    if not records:
        return None
    profile = {k: records[0][k] for k in ("retailer_id", "home_store_id", "personalisation", "identities")}
    return profile, records[0]["rows"]


# A label rather than a property: finding the flagged events is a token-index lookup, not a scan of all events.
MARK_PENDING_STREAM = "UNWIND $event_ids AS id MATCH (e:Event {event_id: id}) SET e:PendingStream"

PENDING_STREAM = """
MATCH (e:PendingStream)
RETURN e.event_id AS event_id, e.kind AS kind, head([(c:Customer)-[:DID]->(e) | c.customer_id]) AS customer_id,
       head([(e)-[:ABOUT]->(p:Product) | p.product_id]) AS product_id
LIMIT $limit
"""

CLEAR_PENDING_STREAM = "UNWIND $event_ids AS id MATCH (e:Event {event_id: id}) REMOVE e:PendingStream"


def mark_pending_stream(graph: Graph, event_ids: list[str]) -> None:
    """Flag stored events that could not be appended to the event stream (replayed later)."""
    graph.write(MARK_PENDING_STREAM, event_ids=event_ids)


def pending_stream(graph: Graph, limit: int) -> list[dict[str, Any]]:
    """Events flagged by mark_pending_stream: event_id, kind, customer_id, product_id."""
    return [dict(r) for r in graph.read(PENDING_STREAM, limit=limit)]


def clear_pending_stream(graph: Graph, event_ids: list[str]) -> None:
    graph.write(CLEAR_PENDING_STREAM, event_ids=event_ids)
