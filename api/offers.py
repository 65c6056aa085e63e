"""Offers for the API: recsys's Redis lists, degrading to store bestsellers when Redis is down.

A scanned card (or any identifier) is looked up in the offer store's identity map first, so a kiosk
asking for a card's offers makes two Redis round trips and no graph read; identifiers the map does not
know yet are read from the graph and added to it.

Redis is read with the sync client (hiredis): a loopback GET takes tens of microseconds, several
times less than redis.asyncio. The process's one `OfferReader` serves each read with one Redis round
trip, keeping version-wide data locally (see recsys.offers). After a connection failure Redis is
skipped for `retry_after_s`, so an outage costs each request nothing; meanwhile offers come from the
last popular lists this process saw (or, if it saw none, from the graph's bestsellers) and say so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from api.errors import CACHE_DOWN
from graph.catalog_reads import store_bestsellers
from graph.driver import AsyncGraph
from graph.profiles import customer_id_by_identity, known_ids
from recsys.offers import Offer, OfferList, OfferReader
from recsys.realtime import customer_identified

FALLBACK_VERSION = "local-fallback"
CONTACT_KINDS = frozenset({"phone", "email"})   # also found on contact fields in the graph: never added to the map
PopularKey = tuple[str | None, str | None]


@dataclass
class OfferService:
    """One per process: the offer reader (and its Redis client), the outage breaker and the local popular lists."""

    reader: OfferReader
    graph: AsyncGraph
    retry_after_s: float = 2.0
    down_until: float = 0.0
    popular_seen: dict[PopularKey, tuple[datetime, list[Offer]]] = field(default_factory=dict)
    popular_seen_max: int = 1_024     # store and channel pairs remembered for an outage, least recent dropped

    def redis_up(self) -> bool:
        return time.monotonic() >= self.down_until

    def _mark_down(self) -> None:
        self.down_until = time.monotonic() + self.retry_after_s

    async def customer_id_by_identity(self, kind: str, value: str) -> str | None:
        """Who holds an identifier: the offer store's identity map (one Redis round trip), else the graph."""
        if self.redis_up():
            try:
                held = self.reader.identity_holder(kind, value)
                if held is not None:
                    return held
            except CACHE_DOWN:
                self._mark_down()
        customer_id = await customer_id_by_identity(self.graph, kind, value)
        if customer_id is not None and kind not in CONTACT_KINDS and self.redis_up():
            try:
                self.reader.remember_holder(kind, value, customer_id)
            except CACHE_DOWN:
                self._mark_down()
        return customer_id

    def prime(self) -> None:
        """Read what every offer list of the current version shares (recsys.offers.OfferReader.prime) before the
        first request; nothing when Redis is down (the first request after it returns reads it)."""
        try:
            self.reader.prime()
        except CACHE_DOWN:
            self._mark_down()

    def customer_identified(self, customer_id: str) -> None:
        """Tell the recommender's workers that the customer is here (recsys.realtime.customer_identified), so that
        their history is ready for the visit's events; nothing while Redis is down."""
        if self.redis_up() and not customer_identified(self.reader.cache, customer_id):
            self._mark_down()

    async def next_best_offers(self, customer_id: str, *, channel: str | None, store_id: str | None,
                               limit: int) -> OfferList:
        """The customer's list with one Redis round trip; store bestsellers when Redis is down."""
        if self.redis_up():
            try:
                return self.reader.next_best_offers(customer_id, channel=channel, store_id=store_id, limit=limit)
            except CACHE_DOWN:
                self._mark_down()
        offers, _ = await self._local_popular(store_id, channel, limit)
        return OfferList(customer_id=customer_id, offers=offers, model_version=FALLBACK_VERSION,
                         computed_at=datetime.now(timezone.utc), source="fallback", fallback_used=True,
                         suppressed=[])

    async def live_customer_id(self, customer_id: str) -> str | None:
        """The profile answering for a customer id: itself, the survivor it was merged into, or None if unknown
        (one graph read)."""
        known = await known_ids(self.graph, customers=[customer_id])
        return known["survivors"].get(customer_id) or (customer_id if customer_id in known["customers"] else None)

    def knows_store(self, store_id: str) -> bool:
        """Whether the current offer version has bestsellers or an assortment of the store (False when Redis is
        down); a store it does not know may still be in the graph (a new store without sales)."""
        if self.redis_up():
            try:
                return self.reader.knows_store(store_id)
            except CACHE_DOWN:
                self._mark_down()
        return False

    async def popular(self, *, store_id: str | None, channel: str | None, limit: int) -> list[Offer]:
        """Popular products for anonymous visitors; remembered locally for outages."""
        if self.redis_up():
            try:
                offers = self.reader.popular(store_id=store_id, channel=channel, limit=limit)
                self._remember_popular((store_id, channel), offers)
                return offers
            except CACHE_DOWN:
                self._mark_down()
        offers, _ = await self._local_popular(store_id, channel, limit)
        return offers

    def similar(self, product_id: str, limit: int) -> list[Offer]:
        """Products bought with this one; empty (not an error) while Redis is down."""
        if not self.redis_up():
            return []
        try:
            return self.reader.similar(product_id, limit=limit)
        except CACHE_DOWN:
            self._mark_down()
            return []

    async def _local_popular(self, store_id: str | None, channel: str | None,
                             limit: int) -> tuple[list[Offer], str]:
        seen = self.popular_seen.get((store_id, channel)) or self.popular_seen.get((store_id, None))
        where = f"store {store_id}" if store_id else "all stores"
        if seen is not None:
            at, offers = seen
            reason = f"offer cache unavailable: bestsellers of {where} as of {at:%Y-%m-%d %H:%M} UTC"
            return [_explained(o, reason) for o in offers[:limit]], reason
        sold = await store_bestsellers(self.graph, store_id, limit)
        reason = f"offer cache unavailable: bestsellers of {where} from the graph"
        offers = [Offer(product_id=p, score=float(n), reason_code="fallback_popular", reason=reason,
                        source_product_id=None) for p, n in sold]
        self._remember_popular((store_id, channel), offers)
        return offers, reason

    def _remember_popular(self, key: PopularKey, offers: list[Offer]) -> None:
        """Keep the latest popular list of a store and channel, for an outage (callers choose the store ids,
        so the memory is bounded: the pair asked for least recently goes first)."""
        self.popular_seen.pop(key, None)
        if len(self.popular_seen) >= self.popular_seen_max:
            del self.popular_seen[next(iter(self.popular_seen))]
        self.popular_seen[key] = (datetime.now(timezone.utc), offers)


def _explained(offer: Offer, reason: str) -> Offer:
    return Offer(product_id=offer.product_id, score=offer.score, reason_code="fallback_popular", reason=reason,
                 source_product_id=None)

