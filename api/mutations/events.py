"""recordEvent and recordPurchase: the realtime intake of interactions and baskets."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from api.errors import MutationError, MutationErrorCode, invalid, not_found
from api.mutations.common import aware, session_errors, text_field, write
from api.permissions import Authenticated, CanRecordPurchases
from api.types.common import Channel, EventKind
from analytics import refresh_customer
from graph.orders import create_orders_with_lines
from graph.profiles import known_ids
from recsys.realtime import record_event

MAX_LINES = 500


@strawberry.input(description="One interaction. Idempotent: the same eventId is stored once.")
class EventInput:
    event_id: strawberry.ID = strawberry.field(description="Caller-chosen unique id (idempotency key), ≤ 100 chars.")
    kind: EventKind = strawberry.field(description="What happened.")
    channel: Channel = strawberry.field(description="Where it happened.")
    customer: strawberry.ID | None = strawberry.field(default=None, description="Customer id; null: anonymous.")
    product: strawberry.ID | None = strawberry.field(default=None, description="Product involved, if any.")
    store: strawberry.ID | None = strawberry.field(default=None, description="Store involved, if any.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When, with offset; default now; at most an hour ahead of the server's clock.")
    query: str | None = strawberry.field(default=None, description="Search text (searches), ≤ 500 chars.")


@strawberry.type(description="Result of recordEvent.")
class RecordEventPayload:
    event_id: strawberry.ID | None = strawberry.field(description="The event's id; null when rejected.")
    created: bool = strawberry.field(description="False when this eventId was already recorded (nothing changed).")
    errors: list[MutationError] = strawberry.field(description="Problems with the input; empty on success.")


async def _missing(info: strawberry.Info, refs: dict[str, tuple[str, str | None]]
                   ) -> tuple[list[MutationError], dict[str, dict[str, str]]]:
    """NOT_FOUND errors for each given reference (field -> (kind, id)) not in the graph (INVALID for an empty one),
    and what is known."""
    wanted: dict[str, list[str]] = {"customers": [], "products": [], "stores": []}
    for kind, ref in refs.values():
        if ref and str(ref).strip():
            wanted[kind].append(str(ref))
    known = await known_ids(info.context.graph, **wanted)
    empty = [invalid(field, "empty: send null (or leave it out) for none") for field, (_, ref) in refs.items()
             if ref is not None and not str(ref).strip()]
    return empty + [not_found(field, f"no {kind[:-1]} {ref}") for field, (kind, ref) in refs.items()
                    if ref and str(ref).strip() and str(ref) not in known[kind]], known


def survivor(known: dict[str, dict[str, str]], customer_id: str | None) -> str | None:
    """The live profile for a customer id. Writes take the id as sent: the graph records what is sent for a
    merged-away id on its survivor, marked to go back with an unmerge (graph.merges.LIVE_OWNER)."""
    return known["survivors"].get(str(customer_id), str(customer_id)) if customer_id else None


@strawberry.enum(name="OrderKind", description="A sale or a return.")
class PurchaseKind(Enum):
    PURCHASE = "purchase"
    RETURN = "return"


@strawberry.input(description="One line of a purchase.")
class PurchaseLineInput:
    product: strawberry.ID = strawberry.field(description="Product id.")
    quantity: float = strawberry.field(description="Units (or weight), > 0.")
    amount_minor: int = strawberry.field(description="Paid for the line, in minor units (cents).")
    discount_minor: int = strawberry.field(default=0, description="Discount on the line, minor units, ≥ 0.")


@strawberry.input(description="A basket from a till, kiosk or webshop. Idempotent by orderId.")
class PurchaseInput:
    order_id: strawberry.ID = strawberry.field(description="Unique order id (idempotency key).")
    channel: Channel = strawberry.field(description="Where it was bought.")
    lines: list[PurchaseLineInput] = strawberry.field(description=f"1..{MAX_LINES} lines.")
    customer: strawberry.ID | None = strawberry.field(default=None, description="Customer; null: guest.")
    store: strawberry.ID | None = strawberry.field(default=None, description="Store, for in-store purchases.")
    placed_at: datetime | None = strawberry.field(
        default=None, description="When, with offset; default now; at most an hour ahead of the server's clock.")
    kind: PurchaseKind = strawberry.field(default=PurchaseKind.PURCHASE, description="Sale or return.")


@strawberry.type(description="Result of recordPurchase.")
class RecordPurchasePayload:
    order_id: strawberry.ID | None = strawberry.field(description="The order's id; null when rejected.")
    created: bool = strawberry.field(description="False when this orderId was already recorded.")
    errors: list[MutationError] = strawberry.field(description="Problems with the input; empty on success.")


def _line_errors(lines: list[PurchaseLineInput]) -> list[MutationError]:
    errors: list[MutationError] = []
    if not 1 <= len(lines) <= MAX_LINES:
        errors.append(MutationError(code=MutationErrorCode.TOO_MANY if lines else MutationErrorCode.REQUIRED,
                                    field="lines", message=f"give 1..{MAX_LINES} lines"))
    for n, line in enumerate(lines):
        if line.quantity <= 0:
            errors.append(invalid(f"lines.{n}.quantity", "quantity must be > 0"))
        if line.discount_minor < 0:
            errors.append(invalid(f"lines.{n}.discountMinor", "discount must be ≥ 0"))
    return errors


@strawberry.type
class EventMutation:
    @strawberry.mutation(description="Record an interaction (view, cart, search ...); stored once per eventId and "
                                     "streamed to the offer worker. Every role; for a customer, web and kiosk only "
                                     "with the customer's session (X-Customer-Session; FORBIDDEN otherwise).",
                         permission_classes=[Authenticated])
    async def record_event(self, info: strawberry.Info, input: Annotated[EventInput, strawberry.argument(
            description="The interaction.")]) -> RecordEventPayload:
        if refused := session_errors(info, input.customer):
            return RecordEventPayload(event_id=None, created=False, errors=refused)
        errors: list[MutationError] = []
        event_id = text_field(str(input.event_id), "eventId", errors, required=True, most=100)
        query = text_field(input.query, "query", errors, most=500)
        occurred_at = aware(input.occurred_at, "occurredAt", errors)
        missing, known = await _missing(info, {"customer": ("customers", input.customer),
                                               "product": ("products", input.product), "store": ("stores", input.store)})
        errors += missing
        if errors:
            return RecordEventPayload(event_id=None, created=False, errors=errors)
        event = {"event_id": event_id, "kind": input.kind.value, "channel_id": input.channel.value,
                 "customer_id": input.customer, "product_id": input.product, "store_id": input.store,
                 "occurred_at": occurred_at, "query": query}
        created = await write(info, lambda graph: record_event(graph, info.context.services.cache, event))
        return RecordEventPayload(event_id=strawberry.ID(event_id), created=created, errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(description="Record a purchase or return with its lines; refreshes the customer's figures "
                                     "and notifies the offer worker. integrator and admin only.",
                         permission_classes=[CanRecordPurchases])
    async def record_purchase(self, info: strawberry.Info, input: Annotated[PurchaseInput, strawberry.argument(
            description="The basket.")]) -> RecordPurchasePayload:
        errors = _line_errors(input.lines)
        order_id = text_field(str(input.order_id), "orderId", errors, required=True, most=100)
        placed_at = aware(input.placed_at, "placedAt", errors)
        refs = {"customer": ("customers", input.customer), "store": ("stores", input.store)}
        refs |= {f"lines.{n}.product": ("products", line.product) for n, line in enumerate(input.lines)}
        missing, known = await _missing(info, refs)
        errors += missing
        if errors:
            return RecordPurchasePayload(order_id=None, created=False, errors=errors)
        row = _order_row(input, str(order_id), placed_at, known["products"][str(input.lines[0].product)])
        created = bool(await write(info, create_orders_with_lines, [row]))
        buyer = survivor(known, input.customer)
        if created and buyer:
            await write(info, lambda graph: _after_purchase(graph, info.context.services.cache, row, buyer))
        return RecordPurchasePayload(order_id=strawberry.ID(str(order_id)), created=created, errors=[])


def _order_row(data: PurchaseInput, order_id: str, placed_at: datetime, retailer_id: str) -> dict[str, object]:
    lines = [{"product_id": str(line.product), "line_no": n + 1, "quantity": line.quantity,
              "amount_minor": line.amount_minor, "discount_minor": line.discount_minor,
              "unit_price_minor": round((line.amount_minor + line.discount_minor) / line.quantity)}
             for n, line in enumerate(data.lines)]
    goods = sum(line.amount_minor for line in data.lines)
    return {"order_id": order_id, "retailer_id": retailer_id, "customer_id": data.customer, "store_id": data.store,
            "region_id": None, "channel_id": data.channel.value, "lines": lines,
            "props": {"placed_at": placed_at, "kind": data.kind.value, "status": "completed",
                      "line_count": len(lines), "goods_minor": goods, "total_minor": goods,
                      "discount_minor": sum(line.discount_minor for line in data.lines)}}


def _after_purchase(graph: object, cache: object, row: dict[str, object], buyer: str) -> None:
    """Refresh the buyer's (live profile's) figures and tell the offer worker (one purchase event per order)."""
    refresh_customer(graph, buyer)
    record_event(graph, cache, {"event_id": f"order:{row['order_id']}", "kind": "purchase",  # type: ignore[arg-type]
                                "channel_id": row["channel_id"], "customer_id": row["customer_id"],
                                "product_id": None, "store_id": row["store_id"],
                                "occurred_at": row["props"]["placed_at"], "order_id": row["order_id"]})  # type: ignore[index]
