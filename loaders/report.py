"""What a load did: per-file counts and timing, the rejects files, and the progress bar."""

from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rich.progress import BarColumn, Progress, TaskProgressColumn, TaskID, TextColumn, TimeElapsedColumn

from loaders.rows import RowRef

REJECT_COLUMNS = ("file", "line", "field", "reason", "raw")


@dataclass
class FileStats:
    """Rows read, written and rejected from one source file, and the seconds it took."""

    file: str
    read: int = 0
    written: int = 0
    rejected: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class LoadSummary:
    """Every file's stats, in load order, and where the rejected rows went."""

    files: list[FileStats] = field(default_factory=list)
    seconds: float = 0.0
    rejects_dir: Path | None = None
    statistics_refreshed: bool | None = None   # graph.schema.refresh_statistics' answer; None: not called

    def add(self, name: str) -> FileStats:
        stats = FileStats(name)
        self.files.append(stats)
        return stats

    def file(self, name: str) -> FileStats:
        return next(s for s in self.files if s.file == name)

    @property
    def read(self) -> int:
        return sum(s.read for s in self.files)

    @property
    def written(self) -> int:
        return sum(s.written for s in self.files)

    @property
    def rejected(self) -> int:
        return sum(s.rejected for s in self.files)

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


class Rejects:
    """Writes each rejected row to `<dir>/<source file>.rejects.csv` (file, line, field, reason, raw)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._files: dict[str, tuple[IO[str], Any]] = {}
        self._lock = threading.Lock()
        self.paths: list[Path] = []

    def add(self, where: RowRef, field: str, reason: str, raw: list[str], stats: FileStats) -> None:
        """Record one rejected row."""
        with self._lock:
            stats.rejected += 1
            if self.folder is not None:
                self._writer(where.file).writerow((where.file, where.line, field, reason, _raw(raw)))

    def _writer(self, source: str) -> Any:
        if source not in self._files:
            assert self.folder is not None
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{source.removesuffix('.gz').removesuffix('.csv')}.rejects.csv"
            handle = path.open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle)
            writer.writerow(REJECT_COLUMNS)
            self._files[source] = (handle, writer)
            self.paths.append(path)
        return self._files[source][1]

    def close(self) -> None:
        for handle, _ in self._files.values():
            handle.close()
        self._files.clear()


def _raw(fields: list[str]) -> str:
    """The row as one CSV line, as it stood in the source."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


class LoadProgress:
    """A rich progress bar per file, advanced by bytes consumed; silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self._progress = Progress(TextColumn("{task.description:<32}"), BarColumn(), TaskProgressColumn(),
                                  TextColumn("{task.fields[rows]:>10,} rows"), TimeElapsedColumn(),
                                  disable=not enabled, transient=False)
        self._started = time.perf_counter()

    def __enter__(self) -> LoadProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def task(self, name: str, size: int) -> TaskID:
        return self._progress.add_task(name, total=size, rows=0)

    def update(self, task: TaskID, position: int, rows: int) -> None:
        self._progress.update(task, completed=position, rows=rows)
