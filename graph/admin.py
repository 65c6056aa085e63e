"""Whole-database chores: server identity and emptying the graph (tests, `c360 demo --fresh`)."""

from __future__ import annotations

from graph.driver import Graph

SERVER_COMPONENT = "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition"
# Relationships first: a node with many relationships (a channel, a big region) would not fit one transaction.
DELETE_RELATIONSHIPS = "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS"
DELETE_NODES = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
LABEL_COUNTS = "CALL db.labels() YIELD label CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS n } RETURN label, n"


def server_component(graph: Graph) -> dict[str, str]:
    """Name, version and edition of the Neo4j server."""
    return dict(graph.read(SERVER_COMPONENT)[0])


def delete_everything(graph: Graph) -> None:
    """Remove every node and relationship; constraints and indexes stay."""
    with graph.driver.session(database=graph.database) as session:
        session.run(DELETE_RELATIONSHIPS).consume()
        session.run(DELETE_NODES).consume()


def label_counts(graph: Graph) -> dict[str, int]:
    """Number of nodes per label."""
    return {r["label"]: r["n"] for r in graph.read(LABEL_COUNTS)}
