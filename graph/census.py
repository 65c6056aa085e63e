"""Whole-graph counts and a content fingerprint, to check loads (same files twice = same graph)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graph.driver import Graph

RELATIONSHIP_COUNTS = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n"
NODES_IN_ORDER = """
MATCH (n) RETURN labels(n) AS labels, properties(n) AS props, elementId(n) AS id
"""
RELATIONSHIPS_IN_ORDER = """
MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, properties(r) AS props, elementId(b) AS b
"""
NODE_BY_KEY = """
MATCH (n) WHERE $label IN labels(n) AND n[$key] = $value
RETURN properties(n) AS props,
       [(n)-[r]->(m) | [type(r), properties(r), properties(m)]] AS outgoing,
       [(m)-[r]->(n) | [type(r), properties(r), properties(m)]] AS incoming
"""


def relationship_counts(graph: Graph) -> dict[str, int]:
    """Number of relationships per type."""
    return {r["type"]: r["n"] for r in graph.read(RELATIONSHIP_COUNTS)}


def node_by_key(graph: Graph, label: str, key: str, value: Any) -> dict[str, Any] | None:
    """A node's properties with its outgoing and incoming relationships (type, props, other node's props)."""
    records = graph.read(NODE_BY_KEY, label=label, key=key, value=value)
    return dict(records[0]) if records else None


def fingerprint(graph: Graph) -> str:
    """A digest of every node and relationship with their properties; equal graphs give equal digests."""
    nodes = {r["id"]: _canonical([sorted(r["labels"]), r["props"]]) for r in graph.stream(NODES_IN_ORDER)}
    digest = hashlib.sha256()
    for line in sorted(nodes.values()):
        digest.update(line.encode())
    rels = sorted(_canonical([nodes[r["a"]], r["type"], r["props"], nodes[r["b"]]])
                  for r in graph.stream(RELATIONSHIPS_IN_ORDER))
    for line in rels:
        digest.update(line.encode())
    return digest.hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
