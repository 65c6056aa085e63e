"""Reading source files row by row: where a row came from, why it was rejected, typed field parsers."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import IO

from graph.driver import chunks
from graph.moments import ahead_of_clock

__all__ = ["RowRef", "Rejected", "LoadError", "SourceFile", "open_source", "chunks"]


@dataclass(frozen=True, slots=True)
class RowRef:
    """A row's place in its source: file name and 1-based line number (the header is line 1)."""

    file: str
    line: int


class Rejected(Exception):
    """A row that cannot be loaded, and why: the field at fault and a reason a person can act on."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class LoadError(Exception):
    """A problem that makes the whole load meaningless (missing file, wrong header)."""


class SourceFile:
    """A CSV file (optionally gzip-compressed) read as (line number, row) with its header checked."""

    def __init__(self, path: Path, required: tuple[str, ...]) -> None:
        if not path.is_file():
            raise LoadError(f"{path}: file not found")
        self.path = path
        self._raw: IO[bytes] = path.open("rb")
        try:
            self._open(required)
        except BaseException:
            self._raw.close()
            raise

    def _open(self, required: tuple[str, ...]) -> None:
        path = self.path
        stream = gzip.open(self._raw, "rt", encoding="utf-8", newline="") if path.name.endswith(".gz") \
            else io.TextIOWrapper(self._raw, encoding="utf-8", newline="")
        self._reader = csv.reader(stream)
        header = next(self._reader, None)
        if header is None:
            raise LoadError(f"{path}: empty file, expected a header row")
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [c for c in required if c not in self.header]
        if missing:
            raise LoadError(f"{path}: header lacks required column(s) {', '.join(missing)}; "
                            f"found {', '.join(self.header)}")
        self.size = path.stat().st_size

    @property
    def name(self) -> str:
        return self.path.name

    def position(self) -> int:
        """Bytes of the file consumed so far (compressed bytes for .gz), for progress bars."""
        return self._raw.tell()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) for every data row; a row with the wrong number of fields is kept as is."""
        for fields in self._reader:
            if fields:
                yield self._reader.line_num, fields

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, {column: text}) for every data row."""
        header = self.header
        for line, fields in self.rows():
            yield line, dict(zip(header, fields))

    def close(self) -> None:
        self._raw.close()


def open_source(folder: Path, stem: str, required: tuple[str, ...]) -> SourceFile | None:
    """`stem`.csv or `stem`.csv.gz in `folder`, or None when neither exists."""
    for name in (f"{stem}.csv", f"{stem}.csv.gz"):
        if (folder / name).is_file():
            return SourceFile(folder / name, required)
    return None


def required_file(folder: Path, stem: str, required: tuple[str, ...]) -> SourceFile:
    """Like open_source, but a missing file is a LoadError."""
    source = open_source(folder, stem, required)
    if source is None:
        raise LoadError(f"{folder}: {stem}.csv.gz (or {stem}.csv) not found")
    return source


def text(row: dict[str, str], field: str, *, required: bool = False) -> str | None:
    """The stripped text of a field; None when empty (a Rejected when required)."""
    value = (row.get(field) or "").strip()
    if not value:
        if required:
            raise Rejected(field, "required value is empty")
        return None
    return value


def need(row: dict[str, str], field: str) -> str:
    """A required text field."""
    value = text(row, field, required=True)
    assert value is not None
    return value


def integer(row: dict[str, str], field: str, *, required: bool = False) -> int | None:
    """An integer field (a whole-number decimal such as `3.0` is accepted)."""
    value = text(row, field, required=required)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        number = _float(field, value, "an integer")
        if not number.is_integer():
            raise Rejected(field, f"{value!r} is not an integer") from None
        return int(number)


def minor_units(row: dict[str, str], field: str, *, required: bool = False, decimals: int = 2) -> int | None:
    """A money amount given in major units, as integer minor units (rounded half to even)."""
    value = text(row, field, required=required)
    return None if value is None else to_minor(field, value, decimals)


def to_minor(field: str, value: str, decimals: int = 2) -> int:
    """'1.43' -> 143 (cents); float noise such as 0.34000000000000002 is rounded away."""
    return round(_float(field, value, "an amount") * 10**decimals)


def number(row: dict[str, str], field: str, *, required: bool = False) -> float | None:
    """A decimal number field."""
    value = text(row, field, required=required)
    return None if value is None else _float(field, value, "a number")


def boolean(row: dict[str, str], field: str, *, required: bool = False) -> bool | None:
    """`true`/`false` (also 1/0, yes/no), case-insensitive."""
    value = text(row, field, required=required)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "yes", "y", "t"):
        return True
    if lowered in ("false", "0", "no", "n", "f"):
        return False
    raise Rejected(field, f"{value!r} is not true or false")


def day(row: dict[str, str], field: str, *, required: bool = False, past: bool = False) -> date | None:
    """A YYYY-MM-DD date; with `past`, one after today is rejected (a birthday)."""
    value = text(row, field, required=required)
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Rejected(field, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if past and parsed > date.today():
        raise Rejected(field, f"{value!r} is in the future")
    return parsed


def moment(row: dict[str, str], field: str, zone: tzinfo, *, required: bool = False) -> datetime | None:
    """An ISO 8601 time; a naive one is taken in `zone`; returned in UTC."""
    value = text(row, field, required=required)
    return None if value is None else to_utc(field, value, zone)


def to_utc(field: str, value: str, zone: tzinfo) -> datetime:
    """Parse an ISO 8601 time (naive ones are in `zone`) and express it in UTC; a time ahead of this machine's
    clock (graph.moments.ahead_of_clock) is rejected, as the API refuses it."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Rejected(field, f"{value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if ahead_of_clock(parsed):
        raise Rejected(field, f"{value!r} is in the future (this machine's clock says "
                              f"{datetime.now(UTC).isoformat(timespec='seconds')}): check the exporting system's clock")
    return parsed.astimezone(UTC)


def choice(row: dict[str, str], field: str, allowed: frozenset[str], *, required: bool = False) -> str | None:
    """A value from a fixed set (compared lower-case)."""
    value = text(row, field, required=required)
    if value is None:
        return None
    if value.lower() not in allowed:
        raise Rejected(field, f"{value!r} is not one of {', '.join(sorted(allowed))}")
    return value.lower()


def tags(row: dict[str, str], field: str) -> list[str] | None:
    """A `;`-separated list."""
    value = text(row, field)
    return None if value is None else [t.strip() for t in value.split(";") if t.strip()]


def _float(field: str, value: str, what: str) -> float:
    try:
        result = float(value)
    except ValueError:
        raise Rejected(field, f"{value!r} is not {what}") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise Rejected(field, f"{value!r} is not {what}")
    return result
