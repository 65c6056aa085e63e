"""Shared plumbing of the batched UNWIND writes in this package (one managed transaction per call)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph


def write_rows(graph: Graph, query: str, rows: list[dict[str, Any]]) -> int:
    """Run `query` (which UNWINDs $rows and RETURNs `written`) in one transaction; rows written."""
    if not rows:
        return 0
    return int(graph.write_tx(lambda tx: tx.run(query, rows=rows).single(strict=True)["written"]))


def write_steps(graph: Graph, steps: list[tuple[str, list[dict[str, Any]]]]) -> int:
    """Run several UNWIND queries in one transaction; `written` of the last one."""
    def work(tx: Any) -> int:
        written = 0
        for query, rows in steps:
            written = int(tx.run(query, rows=rows).single(strict=True)["written"])
        return written
    return graph.write_tx(work)
