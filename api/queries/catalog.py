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
    def product(self, info: strawberry.Info,
                      id: Annotated[strawberry.ID, strawberry.argument(description="Product id.")]) -> Product | None:
        return load_product(info, str(id))  # type: ignore[return-value]

    @strawberry.field(description="A store by id; null if unknown. Every role.", permission_classes=[Authenticated])
    def store(self, info: strawberry.Info,
                    id: Annotated[strawberry.ID, strawberry.argument(description="Store id.")]) -> Store | None:
        return load_store(info, str(id))  # type: ignore[return-value]
