"""One load run: schema and channels ensured, a writer thread, a rejects folder, progress bars, a summary."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.channels import ensure_channels
from graph.driver import Graph
from graph.schema import apply_schema, missing_keys, refresh_statistics
from loaders.batches import Batch, BatchWriter, Explain, Write
from loaders.context import Context
from loaders.report import FileStats, LoadProgress, LoadSummary, Rejects
from loaders.rows import Rejected, RowRef, SourceFile

Parse = Callable[[dict[str, str], Context], dict[str, Any]]

# What a reference column names: the label, and the parsed row's key holding that node's unique key.
REFERENCES: dict[str, tuple[str, str]] = {
    **{f"{name}_id": (label, f"{name}_id") for name, label in (
        ("customer", "Customer"), ("store", "Store"), ("region", "Region"), ("category", "Category"),
        ("brand", "Brand"), ("product", "Product"), ("channel", "Channel"), ("order", "Order"),
        ("case", "ServiceCase"), ("campaign", "Campaign"), ("coupon", "Coupon"))},
    "home_store_id": ("Store", "home_store_id"),
    "household_id": ("Customer", "customer_id"),   # complete_journey's names
    "coupon_upc": ("Coupon", "coupon_id"),
}

# A load writing at least this many rows ends with fresh index statistics and query plans (see
# graph.schema.refresh_statistics); below it even a plan made on stale statistics costs little, and dropping every
# cached plan would cost more than it saves: the API and recommender tests, which load small folders again and
# again, took 226 s instead of 127 s when every load refreshed.
REPLAN_AFTER_ROWS = 10_000


@dataclass(frozen=True)
class FileSpec:
    """One kind of file: required columns, how a row is parsed and written, and what it refers to."""

    stem: str
    required: tuple[str, ...]
    parse: Parse
    write: Write
    refers_to: tuple[str, ...] = ()   # columns naming nodes that must exist; empty: no row is ever skipped
    batch_size: int = 5_000


class LoadSession:
    """Context manager around a load; `summary` holds the figures once it is closed."""

    def __init__(self, graph: Graph, rejects_dir: Path | None, progress: bool) -> None:
        self.graph = graph
        self.summary = LoadSummary(rejects_dir=rejects_dir)
        self.rejects = Rejects(rejects_dir)
        self.bar = LoadProgress(progress)
        self.writer: BatchWriter | None = None
        self._started = 0.0

    def __enter__(self) -> LoadSession:
        self._started = time.perf_counter()
        apply_schema(self.graph)
        ensure_channels(self.graph)
        self.writer = BatchWriter(self.graph, self.rejects)
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            assert self.writer is not None
            self.writer.close()
            if exc[0] is None and self.summary.written >= REPLAN_AFTER_ROWS:
                self.summary.statistics_refreshed = refresh_statistics(self.graph)
        finally:
            self.bar.__exit__(*exc)
            self.rejects.close()
            self.summary.seconds = time.perf_counter() - self._started

    def submit(self, batch: Batch) -> None:
        assert self.writer is not None
        self.writer.submit(batch)

    def drain(self) -> None:
        assert self.writer is not None
        self.writer.drain()

    def load(self, source: SourceFile, spec: FileSpec, ctx: Context) -> FileStats:
        """Parse every row of one file, reject the bad ones, write the good ones in batches."""
        started, stats = time.perf_counter(), self.summary.add(source.name)
        task = self.bar.task(source.name, source.size)
        rows: list[dict[str, Any]] = []
        origins: list[tuple[RowRef, list[str]]] = []
        header, width = source.header, len(source.header)
        explain = reference_explainer(header, spec.refers_to)
        for line, fields in source.rows():
            stats.read += 1
            try:
                if len(fields) != width:
                    raise Rejected("", f"{len(fields)} fields where the header has {width}")
                rows.append(spec.parse(dict(zip(header, fields)), ctx))
                origins.append((RowRef(source.name, line), fields))
            except Rejected as bad:
                self.rejects.add(RowRef(source.name, line), bad.field, bad.reason, fields, stats)
            if len(rows) >= spec.batch_size:
                self.submit(Batch(spec.write, rows, origins, stats, explain))
                rows, origins = [], []
                self.bar.update(task, source.position(), stats.read)
        self.submit(Batch(spec.write, rows, origins, stats, explain))
        self.drain()
        self.bar.update(task, source.size, stats.read)
        stats.seconds = time.perf_counter() - started
        return stats


def reference_explainer(header: list[str], refers_to: tuple[str, ...]) -> Explain | None:
    """For the rows a write skipped: the reference columns whose node the graph lacks, with their values."""
    if not refers_to:
        return None
    columns = [(name, header.index(name), *REFERENCES[name]) for name in refers_to if name in header]

    def explain(graph: Graph, rows: list[dict[str, Any]], raws: list[list[str]]) -> list[tuple[str, str]]:
        wanted = {(label, row[key]) for row in rows for _, _, label, key in columns if row.get(key)}
        missing = {(label, value) for label in {label for label, _ in wanted}
                   for value in missing_keys(graph, label, sorted(v for lb, v in wanted if lb == label))}
        return [_reference_reason([(name, raw[i].strip(), (label, row.get(key)) in missing)
                                   for name, i, label, key in columns if row.get(key)])
                for row, raw in zip(rows, raws)]
    return explain


def _reference_reason(named: list[tuple[str, str, bool]]) -> tuple[str, str]:
    absent = [(name, value) for name, value, gone in named if gone]
    shown = absent or [(name, value) for name, value, _ in named]
    values = ", ".join(f"{name} {value!r}" for name, value in shown)
    fields = " ".join(name for name, _ in shown)
    if not absent:
        return fields, f"not written, though {values} exist"
    return fields, f"refers to something not in the graph: {values}"
