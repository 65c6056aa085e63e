"""Merging two customer profiles found to be one person, and undoing it exactly.

A merge moves the merged-away profile's history (orders, events, service cases), identities, consents,
campaigns and coupons to the survivor and links the two with `(merged)-[:MERGED_INTO {merge_id,
identity_kind, identity_value, channel_id, by, at}]->(survivor)`. Every moved relationship keeps its
properties and gets the merge id pushed onto its `merges` list, so an unmerge moves exactly those back
(a relationship moved by several stacked merges returns one merge at a time) and the graph is as before.
Neither profile's own properties change; home store and segment memberships stay where they were.

What is recorded later under the merged-away id (a till or a nightly load still using it) goes to the survivor,
tagged the same way (LIVE_OWNER), so it too goes back when the merge is undone; what is recorded under the
survivor's id stays with the survivor.
"""

from __future__ import annotations

from typing import Any

from graph.driver import Graph

MOVED_TYPES = ["HAS_IDENTITY", "PLACED", "DID", "RAISED", "GAVE", "RECEIVED", "REDEEMED"]

# A fragment after a (possibly null) `c` is bound: `owner` is the live profile answering for c (c itself, or the
# profile it was merged into, through stacked merges) and `merges` the ids of the merges on the way (null for c
# itself). A relationship of MOVED_TYPES written for c goes from `owner`, with `merges` as its `merges` list, as if
# it had been there before the merges: unmerging c takes it back.
LIVE_OWNER = """
CALL (c) {
  OPTIONAL MATCH path = (c)-[:MERGED_INTO*1..8]->(s:Customer) WHERE NOT (s)-[:MERGED_INTO]->()
  RETURN coalesce(s, c) AS owner, CASE WHEN s IS NULL THEN null ELSE [m IN relationships(path) | m.merge_id] END
         AS merges
}
"""

# Both must exist, belong to one retailer and be live (not merged away); otherwise nothing is written.
MERGE_CUSTOMERS = """
MATCH (w:Customer {customer_id: $survivor}), (l:Customer {customer_id: $merged})
WHERE w <> l AND w.retailer_id = l.retailer_id AND NOT (w)-[:MERGED_INTO]->() AND NOT (l)-[:MERGED_INTO]->()
CREATE (l)-[m:MERGED_INTO]->(w)
SET m = $record
WITH w, l
OPTIONAL MATCH (l)-[r]->(x) WHERE type(r) IN $moved_types
CALL (w, r, x) {
  WITH w, r, x WHERE r IS NOT NULL
  CREATE (w)-[n:$(type(r))]->(x)
  SET n = properties(r), n.merges = coalesce(r.merges, []) + $record.merge_id
  DELETE r
}
RETURN w.customer_id AS survivor, count(r) AS moved
"""


def merge_customers(graph: Graph, survivor: str, merged: str, record: dict[str, Any]) -> int | None:
    """Merge `merged` into `survivor`; `record` holds merge_id, identity_kind/value, channel_id, by, at.

    Returns the number of relationships moved, or None when the pair may not be merged."""
    def work(tx: Any) -> int | None:
        row = tx.run(MERGE_CUSTOMERS, survivor=survivor, merged=merged, record=record,
                     moved_types=MOVED_TYPES).single()
        return None if row is None else int(row["moved"])
    return graph.write_tx(work)


# Only while the survivor is live: a survivor merged on into a third profile is unmerged from it first.
UNMERGE_CUSTOMERS = """
MATCH (l:Customer {customer_id: $merged})-[m:MERGED_INTO]->(w:Customer)
WHERE NOT (w)-[:MERGED_INTO]->()
WITH l, w, m, m.merge_id AS merge_id
DELETE m
WITH l, w, merge_id
OPTIONAL MATCH (w)-[n]->(x) WHERE n.merges IS NOT NULL AND last(n.merges) = merge_id
CALL (l, n, x) {
  WITH l, n, x WHERE n IS NOT NULL
  CREATE (l)-[r:$(type(n))]->(x)
  SET r = properties(n)
  SET r.merges = CASE WHEN size(n.merges) > 1 THEN n.merges[..-1] ELSE null END
  DELETE n
}
RETURN w.customer_id AS survivor, count(n) AS moved
"""


def unmerge_customers(graph: Graph, merged: str) -> tuple[str, int] | None:
    """Undo the merge of `merged`: (survivor id, relationships moved back), or None if not possible."""
    def work(tx: Any) -> tuple[str, int] | None:
        row = tx.run(UNMERGE_CUSTOMERS, merged=merged).single()
        return None if row is None else (row["survivor"], int(row["moved"]))
    return graph.write_tx(work)


MERGE_STATE = """
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN id, c.retailer_id AS retailer_id, head([(c)-[:MERGED_INTO]->(s) | s.customer_id]) AS merged_into
"""


def merge_state(graph: Graph, ids: list[str]) -> dict[str, dict[str, Any]]:
    """For each known id: its retailer and the profile it is merged into (None when live)."""
    return {r["id"]: {"retailer_id": r["retailer_id"], "merged_into": r["merged_into"]}
            for r in graph.read(MERGE_STATE, ids=ids)}


GRAPH_FINGERPRINT = """
CALL () { MATCH (n) RETURN collect([elementId(n), labels(n), properties(n)]) AS nodes }
CALL () { MATCH (a)-[r]->(b) RETURN collect([elementId(a), type(r), properties(r), elementId(b)]) AS rels }
RETURN nodes, rels
"""


def graph_fingerprint(graph: Graph) -> tuple[list[str], list[str]]:
    """Every node and relationship as sorted text (relationships by endpoints, type and properties)."""
    [row] = graph.read(GRAPH_FINGERPRINT)

    def text(item: list[Any]) -> str:
        return repr([sorted(part.items()) if isinstance(part, dict) else part for part in item])

    return sorted(text(n) for n in row["nodes"]), sorted(text(r) for r in row["rels"])
