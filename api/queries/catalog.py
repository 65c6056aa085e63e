"""product, store."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.permissions import Authenticated
from api.types.product import Product, load_product
from api.types.store import Store, load_store


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="A product by id; null if unknown. Every role.", permission_classes=[Authenticated])
    async def product(self, info: strawberry.Info,
                      id: Annotated[strawberry.ID, strawberry.argument(description="Product id.")]) -> Product | None:
        return await load_product(info, str(id))

    @strawberry.field(description="A store by id; null if unknown. Every role.", permission_classes=[Authenticated])
    async def store(self, info: strawberry.Info,
                    id: Annotated[strawberry.ID, strawberry.argument(description="Store id.")]) -> Store | None:
        return await load_store(info, str(id))
