"""Customer: the 360 view. Personal fields carry CanReadPII; heavy parts come prefetched (see selection)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from api import selection
from api.permissions import CanHandleCases, CanReadPII
from api.types.analytics import CustomerAnalytics
from api.types.activity import Event, ServiceCase, TimelineEntry
from api.types.common import Channel, ConsentMedium, ConsentPurpose, EventKind, IdentityKind, Money, channel, money
from api.types.offer import MAX_OFFERS, OfferList, check_limit
from api.types.order import OrderConnection, order_connection
from api.types.store import Store, check_store, load_store
from graph.profiles import ProfileParts, customer_profiles

PII = "Personal data: service_desk, integrator and admin only; every read is audited."


@strawberry.type(description="How to reach the customer. " + PII)
class Contact:
    email: str | None = strawberry.field(description="E-mail address.")
    phone: str | None = strawberry.field(description="Phone number as given.")
    address: str | None = strawberry.field(description="Postal address, one line.")


@strawberry.type(description="Household and demographic facts, as bands. " + PII)
class Demographics:
    gender: str | None = strawberry.field(description="Gender as given.")
    age_band: str | None = strawberry.field(description="Age band, e.g. 35-44.")
    income_band: str | None = strawberry.field(description="Household income band.")
    home_ownership: str | None = strawberry.field(description="Homeowner, renter, ...")
    marital_status: str | None = strawberry.field(description="Marital status.")
    household_size: str | None = strawberry.field(description="People in the household, e.g. '5+'.")
    household_composition: str | None = strawberry.field(description="e.g. '2 Adults Kids'.")
    kids_count: str | None = strawberry.field(description="Children in the household, e.g. '3+'.")


@strawberry.type(description="An identifier the customer is known by, and where it was given.")
class Identity:
    customer_id: strawberry.Private[str]
    raw_value: strawberry.Private[str]
    kind: IdentityKind = strawberry.field(description="Kind of identifier.")
    channel: Channel | None = strawberry.field(description="Channel where it was first given.")
    since: datetime | None = strawberry.field(description="When it was linked (UTC).")

    @strawberry.field(description="The identifier itself. " + PII, permission_classes=[CanReadPII])
    def value(self) -> str | None:
        return self.raw_value

    @strawberry.field(description="The identifier with all but its last 4 characters hidden; readable by every role.")
    def masked_value(self) -> str:
        return "•" * max(len(self.raw_value) - 4, 0) + self.raw_value[-4:]


@strawberry.type(description="Loyalty programme membership.")
class Loyalty:
    tier: str | None = strawberry.field(description="Tier name, e.g. gold.")
    points: int | None = strawberry.field(description="Points balance.")


@strawberry.type(description="A customer's decision about one purpose on one medium.")
class Consent:
    purpose: ConsentPurpose = strawberry.field(description="What the data may be used for.")
    medium: ConsentMedium = strawberry.field(description="Contact medium it applies to (ANY: all).")
    granted: bool = strawberry.field(description="True when allowed, false when refused or withdrawn.")
    updated_at: datetime | None = strawberry.field(description="When it was last changed (UTC).")
    source: str | None = strawberry.field(description="Channel or system that recorded it.")


@strawberry.type(description="Why and how another profile was merged into this one.")
class MergeRecord:
    raw_identity_value: strawberry.Private[str | None]
    customer_id: strawberry.ID = strawberry.field(description="Id of the profile merged into this one.")
    merge_id: strawberry.ID = strawberry.field(description="Id of the merge.")
    identity_kind: IdentityKind | None = strawberry.field(description="Kind of the identifier the two shared.")
    channel: Channel | None = strawberry.field(description="Channel where the match was found.")
    by: str | None = strawberry.field(description="Who merged: role and key id of the caller.")
    at: datetime | None = strawberry.field(description="When (UTC).")

    @strawberry.field(description="The shared identifier with all but its last 4 characters hidden; every role.")
    def masked_identity_value(self) -> str | None:
        raw = self.raw_identity_value
        return None if raw is None else "•" * max(len(raw) - 4, 0) + raw[-4:]

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "MergeRecord":
        kind = r.get("identity_kind")
        return cls(raw_identity_value=r.get("identity_value"), customer_id=strawberry.ID(r["customer_id"]),
                   merge_id=strawberry.ID(r.get("merge_id") or ""),
                   identity_kind=IdentityKind(kind) if kind in _IDENTITY_KINDS else None,
                   channel=channel(r.get("channel_id")), by=r.get("by"), at=r.get("at"))


@strawberry.type(description="A marketing campaign a customer received.")
class CampaignReceived:
    id: strawberry.ID = strawberry.field(description="Campaign id.")
    name: str | None = strawberry.field(description="Campaign name.")
    type: str | None = strawberry.field(description="Campaign type as the source names it, e.g. TypeA.")
    start_date: date | None = strawberry.field(description="First day of the campaign.")
    end_date: date | None = strawberry.field(description="Last day of the campaign.")
    coupons_redeemed: int = strawberry.field(description="Coupons of this campaign the customer redeemed.")

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "CampaignReceived":
        return cls(id=strawberry.ID(r["campaign_id"]), name=r.get("name"), type=r.get("type"),
                   start_date=r.get("start_date"), end_date=r.get("end_date"),
                   coupons_redeemed=int(r.get("redeemed") or 0))


@strawberry.type(description="What the customer is worth so far (purchases minus returns).")
class CustomerValue:
    total_spend: Money = strawberry.field(description="Purchases minus returns, all time.")
    order_count: int = strawberry.field(description="Purchases (returns not counted).")
    return_count: int = strawberry.field(description="Returns.")
    first_purchase_at: datetime | None = strawberry.field(description="First order (UTC); null if none.")
    last_purchase_at: datetime | None = strawberry.field(description="Latest order (UTC); null if none.")
    average_basket: Money | None = strawberry.field(description="Total spend / purchases; null if no purchase.")


def _value(v: dict[str, Any], currency: str | None) -> CustomerValue:
    spend, count = v.get("spend_minor") or 0, v.get("order_count") or 0
    return CustomerValue(total_spend=money(spend, currency), order_count=count,  # type: ignore[arg-type]
                         return_count=v.get("return_count") or 0, first_purchase_at=v.get("first_purchase_at"),
                         last_purchase_at=v.get("last_purchase_at"),
                         average_basket=money(round(spend / count), currency) if count else None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@strawberry.type(description="A person known to the retailer, with every identity, order and interaction. A field "
                              "whose arguments are refused (or that the role may not read) is null with an error "
                              "naming it; the rest of the customer still arrives.")
class Customer(CustomerAnalytics):
    profile: strawberry.Private[dict[str, Any]]
    parts: strawberry.Private[ProfileParts]
    customer_id: strawberry.Private[str]
    id: strawberry.ID = strawberry.field(description="Customer id (the surviving id after a merge).")
    first_name: str | None = strawberry.field(description="Given name (not PII here: used for greetings).")
    tags: list[str] = strawberry.field(description="Free tags set by the retailer.")
    loyalty: Loyalty = strawberry.field(description="Loyalty tier and points.")
    preferred_channel: Channel | None = strawberry.field(description="Channel the customer prefers.")
    created_at: datetime | None = strawberry.field(description="When the profile was created (UTC).")
    identities: list[Identity] = strawberry.field(description="Every identifier, with its channel.")
    consents: list[Consent] = strawberry.field(description="Consents per purpose and medium.")
    merged_from: list[MergeRecord] = strawberry.field(description="Profiles merged into this one: which, "
                                                     "why, by whom and when (undo with unmergeCustomers).")
    value: CustomerValue = strawberry.field(description="Spend and order figures.")

    @strawberry.field(description="For a web or kiosk key: a token that lets the same key name this customer by id "
                                  "(customer, nextBestOffers, nextBestOffersChanged, recordEvent, linkIdentity, "
                                  "updateConsent) when sent as the header X-Customer-Session (a subscription: "
                                  "connection_init {\"customerSession\": ...}); valid C360_SESSION_MINUTES (30) "
                                  "minutes from this read; reading it also has the recommender prepare the "
                                  "customer's history for the visit. Null for other roles, which need none.")
    def customer_session(self, info: strawberry.Info) -> str | None:
        return info.context.issue_session(self.customer_id)

    @strawberry.field(description="Family name. " + PII, permission_classes=[CanReadPII])
    def last_name(self) -> str | None:
        return self.profile.get("last_name")

    @strawberry.field(description="E-mail, phone and address. " + PII, permission_classes=[CanReadPII])
    def contact(self) -> Contact | None:
        p = self.profile
        return Contact(email=p.get("email"), phone=p.get("phone"), address=p.get("address"))

    @strawberry.field(description="Date of birth. " + PII, permission_classes=[CanReadPII])
    def birthday(self) -> date | None:
        return self.profile.get("birthday")

    @strawberry.field(description="Demographic bands. " + PII, permission_classes=[CanReadPII])
    def demographics(self) -> Demographics | None:
        p = self.profile
        return Demographics(gender=p.get("gender"), age_band=_text(p.get("age_band")),
                            income_band=_text(p.get("income_band")), home_ownership=p.get("home_ownership"),
                            marital_status=p.get("marital_status"), household_size=_text(p.get("household_size")),
                            household_composition=p.get("household_comp"), kids_count=_text(p.get("kids_count")))

    @strawberry.field(description="Store the customer is attached to; null if none.")
    def home_store(self, info: strawberry.Info) -> Store | None:
        return load_store(info, self.profile.get("home_store_id"))  # type: ignore[return-value]

    @strawberry.field(description=f"Orders newest first, 1..{selection.MAX_ORDERS} per page, filtered by channel, "
                                  "store and placed-at range [since, until).")
    async def orders(
        self, info: strawberry.Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")] = selection.DEFAULT_ORDERS,
        after: Annotated[str | None, strawberry.argument(description="endCursor of the previous page.")] = None,
        channel: Annotated[Channel | None, strawberry.argument(description="Only this channel.")] = None,
        store: Annotated[strawberry.ID | None, strawberry.argument(description="Only this store.")] = None,
        since: Annotated[datetime | None, strawberry.argument(description="Placed at or after.")] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Placed before.")] = None,
    ) -> OrderConnection | None:
        page = selection.order_page(first, after, channel, store, since, until)
        profile = await self._with(info, ProfileParts(orders=page), self.parts.orders == page)
        return order_connection(profile, page.first)

    @strawberry.field(description=f"Interactions newest first, 1..{selection.MAX_EVENTS}, optionally of some kinds.")
    async def events(
        self, info: strawberry.Info,
        first: Annotated[int, strawberry.argument(description="How many, 1..200.")] = selection.DEFAULT_EVENTS,
        kinds: Annotated[list[EventKind] | None, strawberry.argument(description="Only these kinds.")] = None,
    ) -> list[Event] | None:
        wanted = ProfileParts(events_first=selection.bounded(first, selection.MAX_EVENTS, "first"),
                              event_kinds=selection.event_kinds(kinds))
        same = (self.parts.events_first, self.parts.event_kinds) == (wanted.events_first, wanted.event_kinds)
        profile = await self._with(info, wanted, same)
        return [Event.from_record(e) for e in profile["events"]]

    @strawberry.field(description=f"Service cases newest first with notes, 1..{selection.MAX_CASES}. "
                                  "service_desk, integrator and admin only.", permission_classes=[CanHandleCases])
    async def service_cases(
        self, info: strawberry.Info,
        first: Annotated[int, strawberry.argument(description="How many, 1..50.")] = selection.DEFAULT_CASES,
    ) -> list[ServiceCase] | None:
        wanted = ProfileParts(cases_first=selection.bounded(first, selection.MAX_CASES, "first"))
        profile = await self._with(info, wanted, self.parts.cases_first == wanted.cases_first)
        return [ServiceCase.from_record(c) for c in profile["service_cases"]]

    @strawberry.field(description="Orders, interactions, service cases and consent changes across every channel, "
                                  f"newest first, 1..{selection.MAX_TIMELINE}. Service cases only for service_desk, "
                                  "integrator and admin.")
    async def timeline(
        self, info: strawberry.Info,
        first: Annotated[int, strawberry.argument(description="How many, 1..200.")] = selection.DEFAULT_TIMELINE,
    ) -> list[TimelineEntry] | None:
        wanted = ProfileParts(timeline_first=selection.bounded(first, selection.MAX_TIMELINE, "first"),
                              timeline_cases=_handles_cases(info))
        profile = await self._with(info, wanted, self.parts.timeline_first == wanted.timeline_first)
        return [TimelineEntry.from_record(t, profile.get("currency")) for t in profile["timeline"]]

    @strawberry.field(description="Marketing campaigns the customer received, with the coupons of each they "
                                  "redeemed.")
    async def campaigns(self, info: strawberry.Info) -> list[CampaignReceived]:
        profile = await self._with(info, ProfileParts(campaigns=True), self.parts.campaigns)
        return [CampaignReceived.from_record(k) for k in profile.get("campaigns") or []]

    @strawberry.field(description=f"Next-best-offers for a channel and store (limit 1..{MAX_OFFERS}), "
                                  "with freshness, origin and held-back offers; one cache read.")
    async def next_best_offers(
        self, info: strawberry.Info,
        channel: Annotated[Channel | None, strawberry.argument(description="Channel showing them.")] = None,
        store: Annotated[strawberry.ID | None, strawberry.argument(
            description="Store (kiosk, till): only products it carries; an unknown store is an error.")] = None,
        limit: Annotated[int, strawberry.argument(description="How many, 1..50.")] = 10,
    ) -> OfferList | None:
        check_limit(limit, MAX_OFFERS)
        offers = await info.context.services.offers.next_best_offers(
            self.customer_id, channel=channel.value if channel else None, store_id=store, limit=limit)
        await check_store(info, store)
        return OfferList.from_list(offers)

    async def _with(self, info: strawberry.Info, wanted: ProfileParts, prefetched: bool) -> dict[str, Any]:
        if prefetched:
            return self.profile
        [profile] = await customer_profiles(info.context.graph, [self.customer_id], wanted)
        return profile or {**self.profile, **_EMPTY_PARTS}

    @classmethod
    def from_profile(cls, p: dict[str, Any], parts: ProfileParts) -> "Customer":
        currency = p.get("currency")
        cid = p["customer_id"]
        return cls(
            profile=p, parts=parts, customer_id=cid, id=strawberry.ID(cid), first_name=p.get("first_name"),
            tags=list(p.get("tags") or []), loyalty=Loyalty(tier=p.get("loyalty_tier"), points=p.get("loyalty_points")),
            preferred_channel=channel(p.get("preferred_channel")), created_at=p.get("created_at"),
            identities=[Identity(customer_id=cid, raw_value=str(i["value"]), kind=IdentityKind(i["kind"]),
                                 channel=channel(i.get("channel_id")), since=i.get("since"))
                        for i in _unique_identities(p.get("identities") or [])],
            consents=[Consent(purpose=ConsentPurpose(k["purpose"]), medium=ConsentMedium(k.get("medium") or "any"),
                              granted=bool(k.get("granted")), updated_at=k.get("updated_at"), source=k.get("source"))
                      for k in _latest_consents(p.get("consents") or [])],
            merged_from=[MergeRecord.from_record(m) for m in p.get("merged_from") or []],
            value=_value(p.get("value") or {}, currency))


_IDENTITY_KINDS = frozenset(k.value for k in IdentityKind)
_PURPOSES = frozenset(k.value for k in ConsentPurpose)


def _unique_identities(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Known kinds only, each (kind, value) once (a merge can bring the same identity twice)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        if row.get("kind") in _IDENTITY_KINDS:
            seen.setdefault((row["kind"], str(row["value"])), row)
    return list(seen.values())


def _latest_consents(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One decision per purpose and medium, the newest (merged profiles bring their own)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        if row.get("purpose") not in _PURPOSES:
            continue
        key = (row["purpose"], row.get("medium") or "any")
        held = latest.get(key)
        if held is None or _newer(row.get("updated_at"), held.get("updated_at")):
            latest[key] = row
    return sorted(latest.values(), key=lambda r: (r["purpose"], r.get("medium") or "any"))


def _newer(a: Any, b: Any) -> bool:
    return a is not None and (b is None or a > b)


_EMPTY_PARTS: dict[str, Any] = {"orders": [], "order_total": 0, "events": [], "service_cases": [], "timeline": [],
                                "campaigns": []}


async def load_customers(info: strawberry.Info, ids: list[str], parts: ProfileParts) -> list[Customer | None]:
    """Customers (None where unknown) with the given parts prefetched, in one graph round trip."""
    if parts.timeline_first:
        parts = replace(parts, timeline_cases=_handles_cases(info))
    profiles = await customer_profiles(info.context.graph, ids, parts)
    if parts != ProfileParts():
        await _prime_catalog(info, [p for p in profiles if p])
    return [Customer.from_profile(p, parts) if p else None for p in profiles]


def _handles_cases(info: strawberry.Info) -> bool:
    """Whether the caller may read service cases (whose subjects are free text, often personal)."""
    caller = info.context.caller
    return caller is not None and caller.role in CanHandleCases.roles


async def _prime_catalog(info: strawberry.Info, profiles: list[dict[str, Any]]) -> None:
    """Load every product and store the prefetched parts mention at once (one batch each, not one per depth)."""
    products: set[str] = set()
    stores: set[str] = {p["home_store_id"] for p in profiles if p.get("home_store_id")}
    for p in profiles:
        rows = [*(p.get("orders") or []), *(p.get("events") or []), *(p.get("timeline") or [])]
        rows += [line for order in p.get("orders") or [] for line in order.get("lines") or []]
        products.update(r["product_id"] for r in rows if r.get("product_id"))
        stores.update(r["store_id"] for r in rows if r.get("store_id"))
    loaders = info.context.loaders
    await asyncio.gather(loaders.product_by_id.load_many(sorted(products)), loaders.store_by_id.load_many(sorted(stores)))

