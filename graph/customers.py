"""Customers and their identities (write side)."""

from __future__ import annotations

from typing import Any

from graph.consents import UPSERT_CONSENTS, latest_decisions
from graph.driver import Graph
from graph.merges import LIVE_OWNER
from graph.writes import write_rows

# row: {customer_id, retailer_id, home_store_id|None, region_id|None, props: {...}}; a null prop is removed.
UPSERT_CUSTOMERS = """
UNWIND $rows AS row
OPTIONAL MATCH (s:Store {store_id: row.home_store_id})
OPTIONAL MATCH (g:Region {region_id: row.region_id})
WITH row, s, g
WHERE (row.home_store_id IS NULL OR s IS NOT NULL) AND (row.region_id IS NULL OR g IS NOT NULL)
MERGE (c:Customer {customer_id: row.customer_id})
SET c += row.props, c.retailer_id = row.retailer_id
WITH c, row, s, g
CALL (c, s) {
  OPTIONAL MATCH (c)-[old:HOME_STORE]->(other) WHERE other <> s OR s IS NULL
  DELETE old
  WITH c, s WHERE s IS NOT NULL
  MERGE (c)-[:HOME_STORE]->(s)
}
CALL (c, g) {
  WITH c, g WHERE g IS NOT NULL
  MERGE (c)-[:IN_REGION]->(g)
}
RETURN count(*) AS written
"""

# row: {customer_id, kind, value, channel_id|None, since|None}; the key is namespaced by the customer's retailer.
UPSERT_IDENTITIES = """
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
""" + LIVE_OWNER + """
MERGE (i:Identity {identity_key: c.retailer_id + ':' + row.kind + ':' + row.value})
ON CREATE SET i.kind = row.kind, i.value = row.value, i.retailer_id = c.retailer_id
MERGE (owner)-[h:HAS_IDENTITY]->(i)
ON CREATE SET h.merges = merges
SET h.channel_id = coalesce(row.channel_id, h.channel_id), h.since = coalesce(row.since, h.since)
RETURN count(*) AS written
"""


def upsert_customers(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update customers; rows whose home store or region is missing are not written."""
    return write_rows(graph, UPSERT_CUSTOMERS, rows)


def upsert_identities(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Attach identities to existing customers; rows of unknown customers are not written."""
    return write_rows(graph, UPSERT_IDENTITIES, rows)


def identity_key(retailer_id: str, kind: str, value: str) -> str:
    """The unique key of an identity: retailer, kind and value (retailers never share identities)."""
    return f"{retailer_id}:{kind}:{value}"


# row: as UPSERT_IDENTITIES. The identity is linked only when no other (unmerged) customer holds it; the write lock
# taken on the identity makes a concurrent link of the same identifier wait and then see this one's holder.
LINK_UNHELD_IDENTITIES = """
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
""" + LIVE_OWNER + """
MERGE (i:Identity {identity_key: c.retailer_id + ':' + row.kind + ':' + row.value})
ON CREATE SET i.kind = row.kind, i.value = row.value, i.retailer_id = c.retailer_id
SET i.kind = i.kind
WITH owner, merges, i, row, COLLECT { MATCH (i)<-[:HAS_IDENTITY]-(o:Customer)
                                      WHERE o <> owner AND NOT (o)-[:MERGED_INTO]->()
                                      RETURN o.customer_id }[0] AS holder
CALL (owner, merges, i, row, holder) {
  WITH owner, merges, i, row WHERE holder IS NULL
  MERGE (owner)-[h:HAS_IDENTITY]->(i)
  ON CREATE SET h.merges = merges
  SET h.channel_id = coalesce(row.channel_id, h.channel_id), h.since = coalesce(row.since, h.since)
}
RETURN row.kind AS kind, row.value AS value, holder
"""


class IdentityHeld(Exception):
    """Identifiers another customer holds: (kind, value) -> that customer's id; nothing was written."""

    def __init__(self, holders: dict[tuple[str, str], str]) -> None:
        super().__init__(", ".join(f"{kind} {value} belongs to {c}" for (kind, value), c in holders.items()))
        self.holders = holders


def link_identities(graph: Graph, rows: list[dict[str, Any]]) -> None:
    """Attach identities to one customer in one transaction, none if another customer holds any (IdentityHeld)."""
    graph.write_tx(lambda tx: _link_unheld(tx, rows))


def register_customer(graph: Graph, customer: dict[str, Any], identities: list[dict[str, Any]],
                      consents: list[dict[str, Any]]) -> None:
    """A new customer with identities and consents in one transaction; nothing if an identity is held (IdentityHeld)."""
    def work(tx: Any) -> None:
        tx.run(UPSERT_CUSTOMERS, rows=[customer]).consume()
        _link_unheld(tx, identities)
        tx.run(UPSERT_CONSENTS, rows=latest_decisions(consents)).consume()
    graph.write_tx(work)


def _link_unheld(tx: Any, rows: list[dict[str, Any]]) -> None:
    holders = {(r["kind"], r["value"]): r["holder"] for r in tx.run(LINK_UNHELD_IDENTITIES, rows=rows) if r["holder"]}
    if holders:
        raise IdentityHeld(holders)   # rolls the transaction back
