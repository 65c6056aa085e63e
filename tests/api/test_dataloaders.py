"""The process-wide memo of GraphQL objects made from cached catalogue records (pure logic)."""

from __future__ import annotations

from typing import Any

from api.dataloaders import Catalog, Loaders


class Made:
    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record


def loaders(catalog: Catalog) -> Loaders:
    return Loaders(product_by_id=None, store_by_id=None, catalog=catalog)  # type: ignore[arg-type]


def test_one_object_per_cached_record_shared_across_requests() -> None:
    catalog, record = Catalog(), {"product_id": "p1"}
    first = loaders(catalog).built("products", "p1", record, Made)
    again = loaders(catalog).built("products", "p1", record, Made)
    assert isinstance(first, Made) and again is first


def test_a_record_read_again_makes_a_new_object() -> None:
    catalog = Catalog()
    first = loaders(catalog).built("products", "p1", {"product_id": "p1", "name": "old"}, Made)
    fresh = loaders(catalog).built("products", "p1", {"product_id": "p1", "name": "new"}, Made)
    assert fresh is not first and fresh is not None and fresh.record["name"] == "new"


def test_kinds_are_kept_apart_and_no_record_is_none() -> None:
    catalog, record = Catalog(), {"id": "1"}
    product = loaders(catalog).built("products", "1", record, Made)
    store = loaders(catalog).built("stores", "1", record, lambda r: ("store", r))
    assert isinstance(product, Made) and store == ("store", record)
    assert loaders(catalog).built("products", "2", None, Made) is None


def test_the_memo_is_bounded() -> None:
    catalog = Catalog(max_built=3)
    for n in range(10):
        loaders(catalog).built("products", str(n), {"n": n}, Made)
    assert 1 <= len(catalog.built) <= 3
