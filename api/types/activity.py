"""What a customer did: interactions (events), service cases with notes, and the unified timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.types.common import Channel, Money, channel, money
from api.types.product import Product, load_product
from api.types.store import Store, load_store


@strawberry.type(description="One interaction: a view, cart, wishlist, search, visit or return.")
class Event:
    product_id: strawberry.Private[str | None]
    store_id: strawberry.Private[str | None]
    id: strawberry.ID = strawberry.field(description="Event id (idempotency key).")
    kind: str = strawberry.field(description="view, cart, wishlist, search, visit, return or purchase.")
    occurred_at: datetime = strawberry.field(description="When it happened (UTC).")
    channel: Channel | None = strawberry.field(description="Where it happened.")
    query: str | None = strawberry.field(description="Search text, for searches.")

    @strawberry.field(description="Product involved, if any.")
    def product(self, info: strawberry.Info) -> Product | None:
        return load_product(info, self.product_id)  # type: ignore[return-value]

    @strawberry.field(description="Store involved, if any.")
    def store(self, info: strawberry.Info) -> Store | None:
        return load_store(info, self.store_id)  # type: ignore[return-value]

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "Event":
        return cls(product_id=r.get("product_id"), store_id=r.get("store_id"), id=strawberry.ID(r["event_id"]),
                   kind=r["kind"], occurred_at=r["occurred_at"], channel=channel(r.get("channel_id")),
                   query=r.get("query"))


@strawberry.type(description="A note written on a service case.")
class ServiceNote:
    id: strawberry.ID = strawberry.field(description="Note id.")
    at: datetime | None = strawberry.field(description="When it was written (UTC).")
    author: str | None = strawberry.field(description="Who wrote it (agent name or id).")
    text: str | None = strawberry.field(description="The note.")


@strawberry.type(description="A complaint, question or request handled by the service desk.")
class ServiceCase:
    id: strawberry.ID = strawberry.field(description="Case id.")
    opened_at: datetime | None = strawberry.field(description="When the case was opened (UTC).")
    channel: Channel | None = strawberry.field(description="Where the customer raised it.")
    subject: str | None = strawberry.field(description="Short subject line.")
    status: str | None = strawberry.field(description="open, pending or closed.")
    order_id: strawberry.ID | None = strawberry.field(description="Order the case is about, if any.")
    notes: list[ServiceNote] = strawberry.field(description="Notes, oldest first.")

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "ServiceCase":
        notes = sorted(r.get("notes") or [], key=lambda n: (n.get("at") is None, n.get("at") or 0))
        return cls(id=strawberry.ID(r["case_id"]), opened_at=r.get("opened_at"),
                   channel=channel(r.get("channel_id")), subject=r.get("subject"), status=r.get("status"),
                   order_id=r.get("order_id"),
                   notes=[ServiceNote(id=strawberry.ID(n["note_id"]), at=n.get("at"), author=n.get("author"),
                                      text=n.get("text")) for n in notes])


@strawberry.type(description="One entry of the customer's timeline across every channel, newest first.")
class TimelineEntry:
    product_id: strawberry.Private[str | None]
    store_id: strawberry.Private[str | None]
    at: datetime = strawberry.field(description="When (UTC).")
    kind: str = strawberry.field(description="purchase, return, view, cart, wishlist, search, visit, "
                                             "service_case, consent_granted or consent_withdrawn.")
    reference: strawberry.ID = strawberry.field(description="Id of the order, event, case or consent.")
    channel: Channel | None = strawberry.field(description="Where it happened.")
    amount: Money | None = strawberry.field(description="Order total, for purchases and returns.")
    text: str | None = strawberry.field(description="Search text, case subject or consent purpose/medium.")

    @strawberry.field(description="Product involved, if any.")
    def product(self, info: strawberry.Info) -> Product | None:
        return load_product(info, self.product_id)  # type: ignore[return-value]

    @strawberry.field(description="Store involved, if any.")
    def store(self, info: strawberry.Info) -> Store | None:
        return load_store(info, self.store_id)  # type: ignore[return-value]

    @classmethod
    def from_record(cls, r: dict[str, Any], currency: str | None) -> "TimelineEntry":
        return cls(product_id=r.get("product_id"), store_id=r.get("store_id"), at=r["at"], kind=r["kind"],
                   reference=strawberry.ID(str(r["reference"])), channel=channel(r.get("channel_id")),
                   amount=money(r.get("amount_minor"), currency), text=r.get("text"))
