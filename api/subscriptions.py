"""nextBestOffersChanged: a kiosk or webshop sees fresh offers pushed after a purchase."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from api.errors import BadInput
from api.permissions import Authenticated
from api.types.common import Channel
from api.types.offer import MAX_OFFERS, OfferList, check_limit
from api.types.store import check_store


@strawberry.type
class OfferSubscription:
    @strawberry.subscription(description="The customer's next-best-offers now, then again each time the offer worker "
                                         "rewrites them (graphql-transport-ws; authenticate with connection_init "
                                         "payload {\"apiKey\": ...}, web and kiosk also "
                                         "{\"customerSession\": ...}); a merged-away id follows the profile it "
                                         "was merged into, an unknown one is an error. Every role; web and kiosk "
                                         "only with the customer's session (see Customer.customerSession).",
                             permission_classes=[Authenticated])
    async def next_best_offers_changed(
        self, info: strawberry.Info,
        customer: Annotated[strawberry.ID, strawberry.argument(description="Customer id.")],
        channel: Annotated[Channel | None, strawberry.argument(description="Channel showing them.")] = None,
        store: Annotated[strawberry.ID | None, strawberry.argument(
            description="Store (kiosk): only products it carries; an unknown store is an error.")] = None,
        limit: Annotated[int, strawberry.argument(description=f"How many, 1..{MAX_OFFERS}.")] = 10,
    ) -> AsyncGenerator[OfferList, None]:
        check_limit(limit, MAX_OFFERS)
        info.context.require_session(str(customer), "customer")
        services = info.context.services
        customer_id = await services.offers.live_customer_id(str(customer))
        if customer_id is None:
            raise BadInput(f"no customer {customer}.", field="customer")
        async with services.broadcaster.subscribe(customer_id) as queue:
            while True:
                offers = await services.offers.next_best_offers(customer_id, channel=channel.value if channel
                                                                else None, store_id=store, limit=limit)
                await check_store(info, store)
                yield OfferList.from_list(offers)
                await queue.get()
