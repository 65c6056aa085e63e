"""Consents: one node per customer, purpose and medium holding the latest decision, and who may be contacted."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.merges import LIVE_OWNER
from graph.writes import write_rows

# Who may be contacted for $purpose on $medium: the latest of their records for the medium and for 'any' decides
# (a tie or a missing updated_at keeps the withdrawal). With no $medium, a withdrawal on any one medium keeps the
# customer out unless a later grant on that medium or on 'any' overrides it. A merge can leave two records on one
# medium: the later wins. With $opt_in, only customers who granted it on the medium or 'any'. A fragment on `c`.
REACHABLE = """
NOT EXISTS {
  MATCH (c)-[:GAVE]->(k:Consent {purpose: $purpose, granted: false})
  WHERE ($medium IS NULL OR k.medium IN [$medium, 'any'])
    AND NOT EXISTS { MATCH (c)-[:GAVE]->(k2:Consent {purpose: $purpose, granted: true})
                     WHERE (k2.medium IN [k.medium, 'any'] OR k2.medium = $medium) AND k2.updated_at > k.updated_at }
}
AND (NOT $opt_in OR EXISTS {
  MATCH (c)-[:GAVE]->(k:Consent {purpose: $purpose, granted: true})
  WHERE $medium IS NULL OR k.medium IN [$medium, 'any']
})
"""

# row: {customer_id, purpose, medium, granted, updated_at|None, source|None, decisions}: one row per consent
# (latest_decisions); an older decision never overwrites a newer one, so replaying files in any order ends in the
# same state. `written` counts the decisions folded into the rows of existing customers.
UPSERT_CONSENTS = """
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
""" + LIVE_OWNER + """
MERGE (k:Consent {consent_id: row.customer_id + '|' + row.purpose + '|' + row.medium})
ON CREATE SET k.purpose = row.purpose, k.medium = row.medium
MERGE (owner)-[g:GAVE]->(k)
ON CREATE SET g.merges = merges
WITH k, row, (k.updated_at IS NULL OR row.updated_at IS NULL OR row.updated_at >= k.updated_at) AS newer
SET k.granted = CASE WHEN newer THEN row.granted ELSE k.granted END,
    k.source = CASE WHEN newer THEN row.source ELSE k.source END,
    k.updated_at = CASE WHEN newer THEN coalesce(row.updated_at, k.updated_at) ELSE k.updated_at END
RETURN sum(row.decisions) AS written
"""


def upsert_consents(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Record consent decisions of existing customers; rows of unknown customers are not written."""
    return write_rows(graph, UPSERT_CONSENTS, latest_decisions(rows))


def latest_decisions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per consent, holding what writing the rows one by one would leave, and how many it stands for.

    One UNWIND reads every row's `updated_at` test against the node as it was before the statement, so two
    decisions on one consent in one batch both counted as newer and the later row won: a 2023 grant listed after
    a 2024 withdrawal granted again.
    """
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["customer_id"], row["purpose"], row["medium"])
        kept = latest.get(key)
        if kept is None:
            latest[key] = {**row, "decisions": 1}
            continue
        newer = kept["updated_at"] is None or row["updated_at"] is None or row["updated_at"] >= kept["updated_at"]
        latest[key] = {**(row if newer else kept), "decisions": kept["decisions"] + 1,
                       "updated_at": (row["updated_at"] or kept["updated_at"]) if newer else kept["updated_at"]}
    return list(latest.values())


def consent_id(customer_id: str, purpose: str, medium: str) -> str:
    """The key of a customer's consent for one purpose through one medium."""
    return f"{customer_id}|{purpose}|{medium}"
