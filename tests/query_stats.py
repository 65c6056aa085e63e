"""Neo4j's query collection (`db.stats`) for tests: which queries ran, when, and with which parameters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graph.driver import Graph

Invocations = list[tuple[str, list[dict[str, Any]]]]   # (query text, its runs: startTimestampMillis, params, ...)


@contextmanager
def collecting(graph: Graph) -> Iterator[None]:
    """Neo4j's plans dropped and its query collection running, from an empty collection, until the block ends."""
    graph.write("CALL db.stats.stop('QUERIES')")
    graph.write("CALL db.stats.clear('QUERIES')")
    drop_plans(graph)
    graph.write("CALL db.stats.collect('QUERIES')")
    try:
        yield
    finally:
        graph.write("CALL db.stats.stop('QUERIES')")
        graph.write("CALL db.stats.clear('QUERIES')")


def drop_plans(graph: Graph) -> int:
    """Drop Neo4j's plans; when, in ms since the epoch (this machine's clock, which the tests' Neo4j shares)."""
    graph.write("CALL db.clearQueryCaches()")
    return int(time.time() * 1000)


def invocations(graph: Graph) -> Invocations:
    """Every collected query but these helpers' own procedure calls."""
    rows = graph.read("CALL db.stats.retrieve('QUERIES') YIELD data RETURN data")
    return [(row["data"]["query"], row["data"]["invocations"]) for row in rows
            if not row["data"]["query"].startswith(("CALL db.stats.", "CALL db.clearQueryCaches"))]


def latest_start(graph: Graph) -> int:
    """When the last collected query started (ms since the epoch; 0 if none)."""
    return max((call["startTimestampMillis"] for _, calls in invocations(graph) for call in calls), default=0)


def ran_since(graph: Graph, query: str, moment: int) -> bool:
    """Whether `query` (its text as sent) ran after `moment`."""
    return any(call["startTimestampMillis"] > moment for text, calls in invocations(graph) if text == query
               for call in calls)
