"""Product, its category path, brand and availability per store."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any

import strawberry

from api.types.common import Money, money
from api.types.offer import Offer, check_limit
from api.types.store import Store, load_store
from graph.catalog_reads import product_availability

MAX_SIMILAR = 50
MAX_STORES = 200


@strawberry.type(description="A level of the product hierarchy (department > category > type).")
class Category:
    id: strawberry.ID = strawberry.field(description="Category id.")
    name: str = strawberry.field(description="Category name.")
    level: str | None = strawberry.field(description="department, category or type.")


@strawberry.type(description="A product brand.")
class Brand:
    id: strawberry.ID = strawberry.field(description="Brand id.")
    name: str | None = strawberry.field(description="Brand name.")


@strawberry.type(description="Whether and how much of a product a store carries.")
class StoreAvailability:
    store_id: strawberry.Private[str]
    stock: int | None = strawberry.field(description="Units in stock; null where the store does not report stock.")

    @strawberry.field(description="The store.")
    def store(self, info: strawberry.Info) -> Store | None:
        return load_store(info, self.store_id)  # type: ignore[return-value]


@strawberry.type(description="A product the retailer sells.")
class Product:
    id: strawberry.ID = strawberry.field(description="Product id.")
    name: str | None = strawberry.field(description="Product name.")
    price: Money | None = strawberry.field(description="Current list price; null if unknown.")
    category_path: list[Category] = strawberry.field(description="Category hierarchy, top level first.")
    brand: Brand | None = strawberry.field(description="Brand; null for unbranded products.")
    is_consumable: bool | None = strawberry.field(description="Bought again and again (groceries) or not.")
    package_size: str | None = strawberry.field(description="Package size as printed, e.g. '500 G'.")

    @strawberry.field(description=f"Stores carrying this product (at most {MAX_STORES}), or just `store`.")
    async def availability(self, info: strawberry.Info,
                           store: Annotated[strawberry.ID | None, strawberry.argument(
                               description="Only this store.")] = None) -> list[StoreAvailability]:
        rows = await product_availability(info.context.graph, str(self.id), store, MAX_STORES)
        return [StoreAvailability(store_id=r["store_id"], stock=r["stock"]) for r in rows]

    @strawberry.field(description=f"Products often bought with this one, best first (limit 1..{MAX_SIMILAR}); "
                                  "empty while the offer cache is unavailable.")
    def similar_products(self, info: strawberry.Info,
                         limit: Annotated[int, strawberry.argument(description="How many, 1..50.")] = 10,
                         ) -> list[Offer]:
        check_limit(limit, MAX_SIMILAR)
        return [Offer.from_offer(o) for o in info.context.services.offers.similar(str(self.id), limit)]

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "Product":
        brand = r.get("brand")
        return cls(id=strawberry.ID(r["product_id"]), name=r.get("name"),
                   price=money(r.get("price_minor"), r.get("currency")),
                   category_path=[Category(id=strawberry.ID(c["category_id"]), name=c["name"], level=c.get("level"))
                                  for c in r.get("category_path") or []],
                   brand=Brand(id=strawberry.ID(brand["brand_id"]), name=brand.get("name")) if brand else None,
                   is_consumable=r.get("is_consumable"), package_size=r.get("package_size"))


def load_product(info: Any, product_id: str | None) -> Product | None | Awaitable[Product | None]:
    """The product, at once when the process cache holds it, else awaitable through the DataLoader."""
    if not product_id:
        return None
    loaders = info.context.loaders
    hit, record = loaders.cached("products", product_id)
    if hit:
        return loaders.built("products", product_id, record, Product.from_record)  # type: ignore[no-any-return]
    return _product_later(loaders, product_id)


async def _product_later(loaders: Any, product_id: str) -> Product | None:
    record = await loaders.product_by_id.load(product_id)
    return loaders.built("products", product_id, record, Product.from_record)  # type: ignore[no-any-return]
