"""Next-best-offers: the list, its freshness and origin, and what was held back."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.errors import BadInput
from recsys.offers import REASONS

if TYPE_CHECKING:
    from api.types.product import Product

MAX_OFFERS = 50


@strawberry.enum(description="Where an offer list came from.")
class OfferSource(Enum):
    MODEL = "model"
    REALTIME = "realtime"
    FALLBACK = "fallback"


def check_limit(limit: int, most: int, name: str = "limit") -> None:
    if not 1 <= limit <= most:
        raise BadInput(f"{name} must be between 1 and {most}, got {limit}.", field=name)


@strawberry.type(description="One recommended product and why.")
class Offer:
    product_id: strawberry.Private[str]
    source_product_id: strawberry.Private[str | None]
    score: float = strawberry.field(description="Model score; higher is better; comparable within one list only.")
    reason_code: str = strawberry.field(description=f"Machine-readable reason, one of: {', '.join(REASONS)}.")
    reason: str = strawberry.field(description="Human-readable reason, fit to show to the customer.")

    @strawberry.field(description="The recommended product; null if it left the catalogue.")
    def product(self, info: strawberry.Info) -> Annotated["Product", strawberry.lazy(
            "api.types.product")] | None:
        from api.types.product import load_product  # noqa: PLC0415

        return load_product(info, self.product_id)  # type: ignore[return-value]

    @strawberry.field(description="The product that triggered this offer (bought-with offers); else null.")
    def source_product(self, info: strawberry.Info) -> Annotated["Product", strawberry.lazy(
            "api.types.product")] | None:
        from api.types.product import load_product  # noqa: PLC0415

        return load_product(info, self.source_product_id)  # type: ignore[return-value]

    @classmethod
    def from_offer(cls, o: Any) -> "Offer":
        return cls(product_id=o.product_id, source_product_id=o.source_product_id, score=float(o.score),
                   reason_code=o.reason_code, reason=o.reason)


@strawberry.type(description="A product held back from the list, and why.")
class SuppressedOffer:
    product_id: strawberry.Private[str]
    reason: str = strawberry.field(description="Why, e.g. no personalisation consent, not stocked in this store.")

    @strawberry.field(description="The held-back product.")
    def product(self, info: strawberry.Info) -> Annotated["Product", strawberry.lazy(
            "api.types.product")] | None:
        from api.types.product import load_product  # noqa: PLC0415

        return load_product(info, self.product_id)  # type: ignore[return-value]


@strawberry.type(description="A customer's next-best-offers with their freshness and origin.")
class OfferList:
    customer_id: strawberry.ID = strawberry.field(description="Whose list.")
    offers: list[Offer] = strawberry.field(description="Best first.")
    computed_at: datetime | None = strawberry.field(description="When the list was computed (UTC).")
    model_version: str | None = strawberry.field(description="Model (or fallback) that produced it.")
    source: OfferSource = strawberry.field(description="Batch model, realtime update or fallback.")
    fallback_used: bool = strawberry.field(description="True when some or all offers are popular products "
                                                       "rather than personal ones: too few personal offers "
                                                       "passed the store and channel rules, the customer has "
                                                       "no list yet, or no consent to personalisation.")
    suppressed: list[SuppressedOffer] = strawberry.field(description="Offers held back, with the reason: "
                                                         "those that would have been shown (the store rule) and "
                                                         "up to 5 recent purchases not due yet.")

    @classmethod
    def from_list(cls, ol: Any) -> "OfferList":
        return cls(customer_id=strawberry.ID(ol.customer_id), offers=[Offer.from_offer(o) for o in ol.offers],
                   computed_at=ol.computed_at, model_version=ol.model_version, source=OfferSource(ol.source),
                   fallback_used=bool(ol.fallback_used),
                   suppressed=[SuppressedOffer(product_id=s.product_id, reason=s.reason) for s in ol.suppressed])
