"""Store and Region."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any

import strawberry

from api.errors import GRAPH_DOWN, BadInput


@strawberry.type(description="A sales region stores belong to.")
class Region:
    id: strawberry.ID = strawberry.field(description="Region id.")
    name: str | None = strawberry.field(description="Region name.")


@strawberry.type(description="A physical store (or the webshop's fulfilment point) of the retailer.")
class Store:
    id: strawberry.ID = strawberry.field(description="Store id.")
    name: str | None = strawberry.field(description="Store name; null if the source gave none.")
    format: str | None = strawberry.field(description="Store format, e.g. hypermarket, convenience.")
    region: Region | None = strawberry.field(description="Region the store belongs to.")

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "Store":
        region = r.get("region")
        return cls(id=strawberry.ID(r["store_id"]), name=r.get("name"), format=r.get("format"),
                   region=Region(id=strawberry.ID(region["region_id"]), name=region.get("name")) if region else None)


def load_store(info: Any, store_id: str | None) -> Store | None | Awaitable[Store | None]:
    """The store, at once when the process cache holds it, else awaitable through the DataLoader."""
    if not store_id:
        return None
    loaders = info.context.loaders
    hit, record = loaders.cached("stores", store_id)
    if hit:
        return loaders.built("stores", store_id, record, Store.from_record)  # type: ignore[no-any-return]
    return _store_later(loaders, store_id)


async def _store_later(loaders: Any, store_id: str) -> Store | None:
    record = await loaders.store_by_id.load(store_id)
    return loaders.built("stores", store_id, record, Store.from_record)  # type: ignore[no-any-return]


async def check_store(info: Any, store_id: str | None) -> None:
    """BadInput naming `store` when there is no such store: a kiosk set up with a wrong id must not be shown
    products without its shelf filter. A store the offer version knows (bestsellers, assortment) is not looked
    up; another is looked up in the graph (cached), and left unchecked while the graph is unreachable, so offers
    keep coming from Redis."""
    if store_id is None or info.context.services.offers.knows_store(store_id):
        return
    found = load_store(info, store_id)
    if inspect.isawaitable(found):
        try:
            found = await found
        except GRAPH_DOWN:
            return
    if found is None:
        raise BadInput(f"no store {store_id}", field="store")
