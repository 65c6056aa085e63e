"""The GraphQL objects made of cached catalogue records, shared across requests (pure logic)."""

from __future__ import annotations

from typing import Any

from api.dataloaders import Catalog, Loaders, RecordCache


class Made:
    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record


def loaders(catalog: Catalog) -> Loaders:
    """A request's loaders; these tests never load through them."""
    return Loaders(product_by_id=None, store_by_id=None, catalog=catalog)  # type: ignore[arg-type]


def test_one_object_per_cached_record_shared_across_requests() -> None:
    catalog, record = Catalog(), {"product_id": "p1"}
    catalog.products.put("p1", record, now=0.0)
    first = loaders(catalog).built("products", "p1", record, Made)
    again = loaders(catalog).built("products", "p1", record, Made)
    assert isinstance(first, Made) and again is first


def test_a_record_read_again_makes_a_new_object() -> None:
    catalog, old, new = Catalog(), {"product_id": "p1", "name": "old"}, {"product_id": "p1", "name": "new"}
    catalog.products.put("p1", old, now=0.0)
    first = loaders(catalog).built("products", "p1", old, Made)
    catalog.products.put("p1", new, now=61.0)
    fresh = loaders(catalog).built("products", "p1", new, Made)
    assert fresh is not first and fresh is not None and fresh.record["name"] == "new"


def test_kinds_are_kept_apart_and_no_record_is_none() -> None:
    catalog, record = Catalog(), {"id": "1"}
    catalog.products.put("1", record, now=0.0)
    catalog.stores.put("1", record, now=0.0)
    product = loaders(catalog).built("products", "1", record, Made)
    store = loaders(catalog).built("stores", "1", record, lambda r: ("store", r))
    assert isinstance(product, Made) and store == ("store", record)
    assert loaders(catalog).built("products", "2", None, Made) is None


def test_only_cached_records_are_kept_and_they_go_with_the_cache() -> None:
    cache, stray = RecordCache(max_entries=3), {"n": "stray"}
    assert cache.made_of("s", stray, Made) is not cache.made_of("s", stray, Made)   # not cached: not kept
    for n in range(10):
        cache.put(str(n), {"n": n}, now=0.0)
        cache.made_of(str(n), cache.entries[str(n)][1], Made)  # type: ignore[arg-type]
    assert 1 <= len(cache.made) <= len(cache.entries) <= 3
