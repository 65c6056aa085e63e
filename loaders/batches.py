"""Batched writes on a background thread, so Python parses the next batch while Neo4j writes this one.

Batches are written one at a time in the order they were submitted (a batch may rely on an earlier one,
e.g. orders on their customers). When a checked write reports fewer rows written than it was given, the
batch is split in halves until the rows that refer to something missing are found; each goes to the
rejects file naming what is missing (one explanation for all the skipped rows of a batch). Write functions
are idempotent, so writing a row twice this way is harmless.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph.driver import Graph
from loaders.report import FileStats, Rejects
from loaders.rows import RowRef

Write = Callable[[Graph, list[dict[str, Any]]], int]
Explain = Callable[[Graph, list[dict[str, Any]], list[list[str]]], list[tuple[str, str]]]


@dataclass
class Batch:
    """Rows for one write call; `sources` are (where, raw fields) per row, for the rejects of a checked write."""

    write: Write
    rows: list[dict[str, Any]]
    sources: list[tuple[RowRef, list[str]]]
    stats: FileStats
    explain: Explain | None = None   # (field, reason) of each row the write skipped; None: unchecked write
    weight: int | None = None        # source rows an unchecked batch stands for (default: one per row)


class BatchWriter:
    """Writes submitted batches in order on one thread; errors surface on the next submit or at close."""

    def __init__(self, graph: Graph, rejects: Rejects, depth: int = 2) -> None:
        self.graph = graph
        self.rejects = rejects
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="c360-load-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: Batch) -> None:
        """Queue a batch (blocks while `depth` batches are waiting)."""
        self._raise_if_failed()
        if batch.rows:
            self._queue.put(batch)

    def drain(self) -> None:
        """Wait until every submitted batch is written."""
        self._queue.join()
        self._raise_if_failed()

    def close(self) -> None:
        """Finish the queued work and stop the thread."""
        self._queue.put(None)
        self._thread.join()
        self._raise_if_failed()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            try:
                if self._error is None:
                    self._write(batch)
            except BaseException as exc:  # handed to the submitting thread
                self._error = exc
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _write(self, batch: Batch) -> None:
        if batch.explain is None:
            batch.write(self.graph, batch.rows)
            batch.stats.written += len(batch.rows) if batch.weight is None else batch.weight
            return
        skipped: list[int] = []
        batch.stats.written += self._checked(batch, 0, len(batch.rows), skipped)
        if skipped:
            rows, raws = [batch.rows[i] for i in skipped], [batch.sources[i][1] for i in skipped]
            reasons = batch.explain(self.graph, rows, raws)
            for i, (field, reason) in zip(skipped, reasons):
                where, raw = batch.sources[i]
                self.rejects.add(where, field, reason, raw, batch.stats)

    def _checked(self, batch: Batch, start: int, stop: int, skipped: list[int]) -> int:
        """Rows of batch.rows[start:stop] written; the index of each row the write skipped goes to `skipped`."""
        written = batch.write(self.graph, batch.rows[start:stop])
        if written >= stop - start:
            return written
        if stop - start == 1:
            skipped.append(start)
            return 0
        middle = (start + stop) // 2
        return self._checked(batch, start, middle, skipped) + self._checked(batch, middle, stop, skipped)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
