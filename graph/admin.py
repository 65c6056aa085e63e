"""Whole-database chores: server identity, emptying the graph (tests, `c360 demo --fresh`), removing given nodes."""

from __future__ import annotations

from graph.driver import Graph
from graph.schema import UNIQUE_KEYS

SERVER_COMPONENT = "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition"
# Bounded transactions (a long outer transaction would hit db.transaction.timeout): nodes with few
# relationships first, which empties the dense ones (a channel, a big region) along the way; whatever
# is left (dense nodes among themselves) loses its relationships in chunks.
DELETE_SPARSE_NODES = """
MATCH (n) WHERE COUNT { (n)--() } <= $degree
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS n
"""
DELETE_SOME_RELATIONSHIPS = "MATCH ()-[r]->() WITH r LIMIT $limit DELETE r RETURN count(*) AS n"
# {label} and {key} come from graph.schema.UNIQUE_KEYS only (a label cannot be a parameter).
DELETE_NODES = "UNWIND $keys AS key MATCH (n:{label} {{{key}: key}}) DETACH DELETE n RETURN count(*) AS n"
LABEL_COUNTS = "CALL db.labels() YIELD label CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS n } RETURN label, n"


def server_component(graph: Graph) -> dict[str, str]:
    """Name, version and edition of the Neo4j server."""
    return dict(graph.read(SERVER_COMPONENT)[0])


def delete_everything(graph: Graph, batch: int = 5_000) -> None:
    """Remove every node and relationship; constraints and indexes stay."""
    while True:
        if _count(graph, DELETE_SPARSE_NODES, limit=batch, degree=50):
            continue
        if not _count(graph, DELETE_SOME_RELATIONSHIPS, limit=batch * 10):
            return


def delete_nodes(graph: Graph, label: str, keys: list[str], batch: int = 5_000) -> int:
    """Remove the `label` nodes with these natural keys (graph.schema.UNIQUE_KEYS) and their relationships."""
    if label not in UNIQUE_KEYS:
        raise ValueError(f"{label!r} is not a node label of the graph ({', '.join(UNIQUE_KEYS)})")
    query = DELETE_NODES.format(label=label, key=UNIQUE_KEYS[label])
    return sum(_count(graph, query, keys=keys[start:start + batch]) for start in range(0, len(keys), batch))


def _count(graph: Graph, query: str, **params: object) -> int:
    return int(graph.write_tx(lambda tx: tx.run(query, **params).single(strict=True)["n"]))


def label_counts(graph: Graph) -> dict[str, int]:
    """Number of nodes per label."""
    return {r["label"]: r["n"] for r in graph.read(LABEL_COUNTS)}
