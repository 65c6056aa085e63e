"""Shared plumbing of the batched UNWIND writes in this package (one managed transaction per call)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.driver import Graph

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


# The driver packs each datetime parameter in pure Python (about 100 µs a value, more than Neo4j spends on
# writing a row), so bulk writes send a row's moment as [epoch seconds, microseconds] and rebuild it in Cypher.
def epoch_moment(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """`rows` with the aware datetime props[key] moved to row[key] as [epoch seconds, microseconds] (or None)."""
    return [{**row, "props": {k: v for k, v in row["props"].items() if k != key},
             key: _epoch_pair(row["props"].get(key), key)} for row in rows]


def moment_from(pair: str) -> str:
    """Cypher for the UTC datetime of an epoch_moment pair (null stays null)."""
    return (f"CASE WHEN {pair} IS NULL THEN null "
            f"ELSE datetime({{epochSeconds: {pair}[0], nanosecond: {pair}[1] * 1000}}) END")


def _epoch_pair(moment: datetime | None, key: str) -> list[int] | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"{key} {moment.isoformat()} has no time-zone offset")
    delta = moment - EPOCH
    return [delta.days * 86_400 + delta.seconds, delta.microseconds]
