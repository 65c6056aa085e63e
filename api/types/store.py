"""Store and Region."""

from __future__ import annotations

from typing import Any

import strawberry


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


async def load_store(info: Any, store_id: str | None) -> Store | None:
    """The store through the request's DataLoader; None if absent or unknown."""
    if not store_id:
        return None
    record = await info.context.loaders.store_by_id.load(store_id)
    return Store.from_record(record) if record else None
