"""Whole-database chores: server identity and emptying the graph (tests, `c360 demo --fresh`)."""

from __future__ import annotations

from graph.driver import Graph

SERVER_COMPONENT = "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition"
# Relationships first, in bounded transactions: a node with many relationships (a channel, a big region)
# would not fit one transaction, and one long-running outer transaction would hit db.transaction.timeout.
DELETE_SOME_RELATIONSHIPS = "MATCH ()-[r]->() WITH r LIMIT $limit DELETE r RETURN count(*) AS n"
DELETE_SOME_NODES = "MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS n"
LABEL_COUNTS = "CALL db.labels() YIELD label CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS n } RETURN label, n"


def server_component(graph: Graph) -> dict[str, str]:
    """Name, version and edition of the Neo4j server."""
    return dict(graph.read(SERVER_COMPONENT)[0])


def delete_everything(graph: Graph, batch: int = 20_000) -> None:
    """Remove every node and relationship; constraints and indexes stay."""
    for query in (DELETE_SOME_RELATIONSHIPS, DELETE_SOME_NODES):
        while graph.write_tx(lambda tx, q=query: tx.run(q, limit=batch).single(strict=True)["n"]):
            pass


def label_counts(graph: Graph) -> dict[str, int]:
    """Number of nodes per label."""
    return {r["label"]: r["n"] for r in graph.read(LABEL_COUNTS)}
