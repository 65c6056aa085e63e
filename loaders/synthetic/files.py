"""Canonical tables as gzip CSV, byte-identical for identical content (no time stamp, no file name)."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

Table = dict[str, Sequence[object] | np.ndarray]
CHUNK = 100_000


def write_table(folder: Path, name: str, table: Table, *, compression: int = 3) -> int:
    """Write `folder/name.csv.gz` with the table's keys as header; returns the number of rows."""
    columns = [c.tolist() if isinstance(c, np.ndarray) else c for c in table.values()]
    lengths = {len(c) for c in columns}
    if len(lengths) > 1:
        raise ValueError(f"{name}: columns of different lengths {sorted(lengths)}")
    rows = lengths.pop() if lengths else 0
    with (folder / f"{name}.csv.gz").open("wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=compression) as packed:
        for begin in range(0, max(rows, 1), CHUNK):
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            if begin == 0:
                writer.writerow(table.keys())
            writer.writerows(zip(*(c[begin:begin + CHUNK] for c in columns)))
            packed.write(text.getvalue().encode("utf-8"))
    return rows


def money(minor: np.ndarray) -> list[float]:
    """Minor units as decimals (1234 -> 12.34, written by csv as the shortest exact text)."""
    return (minor / 100).tolist()  # type: ignore[no-any-return]


def pick(labels: Sequence[str], index: np.ndarray) -> list[str]:
    """`labels[i]` for each index; -1 gives the empty string (a missing value)."""
    lookup = np.array([*labels, ""], dtype=object)
    return lookup[np.where(index < 0, len(labels), index)].tolist()  # type: ignore[no-any-return]


def ids(prefix: str, numbers: np.ndarray, width: int) -> list[str]:
    """Identifiers such as `gen:C000042`; a negative number gives the empty string."""
    return [f"{prefix}{n:0{width}d}" if n >= 0 else "" for n in numbers.tolist()]
