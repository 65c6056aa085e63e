"""Per-request DataLoaders for products and stores, backed by a short-lived process-wide cache.

Products and stores change rarely and are read on every offer list, so one process keeps them for
`ttl_s` seconds; a miss is batched into one graph round trip per request tick.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph.catalog_reads import products_by_ids, stores_by_ids
from graph.driver import AsyncGraph

Record = dict[str, Any]
BatchRead = Callable[[AsyncGraph, list[str]], Awaitable[list[Record | None]]]
Built = TypeVar("Built")


@dataclass
class RecordCache:
    """id -> (expiry, record or None), and the GraphQL object made of each record; bounded by `max_entries`
    (cleared when full)."""

    ttl_s: float = 60.0
    max_entries: int = 100_000
    entries: dict[str, tuple[float, Record | None]] = field(default_factory=dict)
    made: dict[str, tuple[Record, Any]] = field(default_factory=dict)

    def get(self, key: str, now: float) -> tuple[bool, Record | None]:
        hit = self.entries.get(key)
        if hit is None or hit[0] < now:
            return False, None
        return True, hit[1]

    def put(self, key: str, record: Record | None, now: float) -> None:
        if len(self.entries) >= self.max_entries:
            self.entries.clear()
            self.made.clear()
        self.entries[key] = (now + self.ttl_s, record)

    def made_of(self, key: str, record: Record, make: Callable[[Record], Built]) -> Built:
        """The object `make` makes of `record`, made once while it is the record cached under `key` and shared by
        every request until the record is read again (the objects are never changed once made)."""
        kept = self.made.get(key)
        if kept is not None and kept[0] is record:
            return kept[1]  # type: ignore[no-any-return]
        made = make(record)
        cached = self.entries.get(key)
        if cached is not None and cached[1] is record:
            self.made[key] = (record, made)
        return made


@dataclass
class Catalog:
    """The process-wide caches behind the per-request loaders."""

    products: RecordCache = field(default_factory=RecordCache)
    stores: RecordCache = field(default_factory=RecordCache)


def cached_loader(graph: AsyncGraph, cache: RecordCache, read: BatchRead) -> DataLoader[str, Record | None]:
    """A DataLoader that answers from `cache` and reads the misses from the graph in one batch."""

    async def load(keys: list[str]) -> list[Record | None]:
        now = time.monotonic()
        found: dict[str, Record | None] = {}
        missing = []
        for key in keys:
            hit, record = cache.get(key, now)
            if hit:
                found[key] = record
            else:
                missing.append(key)
        if missing:
            for key, record in zip(missing, await read(graph, missing)):
                cache.put(key, record, now)
                found[key] = record
        return [found[k] for k in keys]

    return DataLoader(load_fn=load)


@dataclass(slots=True)
class Loaders:
    """Fresh for every request, in front of the process-wide `catalog`."""

    product_by_id: DataLoader[str, Record | None]
    store_by_id: DataLoader[str, Record | None]
    catalog: Catalog

    @classmethod
    def create(cls, graph: AsyncGraph, catalog: Catalog) -> "Loaders":
        return cls(product_by_id=cached_loader(graph, catalog.products, products_by_ids),
                   store_by_id=cached_loader(graph, catalog.stores, stores_by_ids), catalog=catalog)

    def cached(self, kind: str, key: str) -> tuple[bool, Record | None]:
        """(hit, record) from the process-wide cache of `kind` ("products" or "stores"), without waiting."""
        cache: RecordCache = getattr(self.catalog, kind)
        return cache.get(key, time.monotonic())

    def built(self, kind: str, key: str, record: Record | None, make: Callable[[Record], Built]) -> Built | None:
        """The object `make` makes of `record` (see RecordCache.made_of); None for no record."""
        if record is None:
            return None
        cache: RecordCache = getattr(self.catalog, kind)
        return cache.made_of(key, record, make)
