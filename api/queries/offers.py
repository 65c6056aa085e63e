"""nextBestOffers, popularProducts, similarProducts."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.errors import GRAPH_DOWN, BadInput
from api.permissions import Authenticated
from api.queries.customer import IdentityInput, resolve_identity
from api.types.common import Channel
from api.types.offer import MAX_OFFERS, Offer, OfferList, check_limit
from api.types.store import check_store

LIMIT = Annotated[int, strawberry.argument(description=f"How many, 1..{MAX_OFFERS}.")]
CHANNEL = Annotated[Channel | None, strawberry.argument(description="Channel that shows the offers.")]
STORE = Annotated[strawberry.ID | None, strawberry.argument(description="Store (kiosk, till): only products it "
                                                                        "carries; an unknown store is an error.")]


@strawberry.type
class OfferQuery:
    @strawberry.field(description="A customer's next-best-offers, by customer id or by identifier (exactly one); "
                                  "null if the customer is unknown; a merged-away id gets the list of the profile it "
                                  "was merged into. One cache read (and one graph read for a customer without a "
                                  "list). Every role; by customer id, web and kiosk only with the customer's "
                                  "session (header X-Customer-Session, see Customer.customerSession).",
                      permission_classes=[Authenticated])
    async def next_best_offers(
        self, info: strawberry.Info,
        customer: Annotated[strawberry.ID | None, strawberry.argument(description="Customer id.")] = None,
        identity: Annotated[IdentityInput | None, strawberry.argument(description="Or an identifier.")] = None,
        channel: CHANNEL = None, store: STORE = None, limit: LIMIT = 10,
    ) -> OfferList | None:
        check_limit(limit, MAX_OFFERS)
        if (customer is None) == (identity is None):
            raise BadInput("give exactly one of customer or identity.", field="customer")
        if customer is not None and not str(customer).strip():
            raise BadInput("customer must not be empty.", field="customer")
        if customer is not None:
            info.context.require_session(str(customer), "customer")
        customer_id = str(customer) if customer is not None else await resolve_identity(info, identity)  # type: ignore[arg-type]
        if customer_id is None:
            return None
        service = info.context.services.offers
        offers = await service.next_best_offers(customer_id, channel=channel.value if channel else None,
                                                store_id=store, limit=limit)
        if offers.model_version is None:      # no list stored: a new, a merged-away or an unknown customer
            try:
                live = await service.live_customer_id(customer_id)
            except GRAPH_DOWN:
                live = customer_id            # the popular list it holds is the best there is
            if live is None:
                return None
            if live != customer_id:
                offers = await service.next_best_offers(live, channel=channel.value if channel else None,
                                                        store_id=store, limit=limit)
        await check_store(info, store)
        return OfferList.from_list(offers)

    @strawberry.field(description="Popular products for anonymous visitors, for a store and/or channel. Every role.",
                      permission_classes=[Authenticated])
    async def popular_products(self, info: strawberry.Info, store: STORE = None, channel: CHANNEL = None,
                               limit: LIMIT = 10) -> list[Offer]:
        check_limit(limit, MAX_OFFERS)
        offers = await info.context.services.offers.popular(store_id=store, channel=channel.value if channel else None,
                                                            limit=limit)
        await check_store(info, store)
        return [Offer.from_offer(o) for o in offers]

    @strawberry.field(description="Products often bought with a product, best first; empty while the offer cache is "
                                  "unavailable. Every role.", permission_classes=[Authenticated])
    def similar_products(self, info: strawberry.Info,
                         product: Annotated[strawberry.ID, strawberry.argument(description="Product id.")],
                         limit: LIMIT = 10) -> list[Offer]:
        check_limit(limit, MAX_OFFERS)
        return [Offer.from_offer(o) for o in info.context.services.offers.similar(str(product), limit)]
