"""Helpers shared by mutations: running graph writes off the event loop, re-reading the changed customer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any, TypeVar

import strawberry
from anyio import to_thread

from api.errors import CACHE_DOWN, MutationError, MutationErrorCode, invalid
from api.selection import child, customer_parts
from api.types.customer import Customer, load_customers
from graph.driver import Graph
from graph.moments import ahead_of_clock
from recsys.realtime import request_refresh

T = TypeVar("T")
MAX_TEXT = 2_000


async def write(info: strawberry.Info, work: Callable[..., T], *args: Any) -> T:
    """Run a sync graph write (loaders' upsert functions) in a worker thread."""
    graph: Graph = info.context.services.write_graph
    return await to_thread.run_sync(partial(work, graph, *args))


async def changed_customer(info: strawberry.Info, customer_id: str, name: str = "customer") -> Customer | None:
    """The customer as it is now, with the parts the payload's `name` selection asks for."""
    field = child(info.selected_fields[0].selections, name)
    parts = customer_parts(field.selections if field else [])
    [customer] = await load_customers(info, [customer_id], parts)
    return customer


def session_errors(info: strawberry.Info, customer_id: str | None, field: str = "customer") -> list[MutationError]:
    """FORBIDDEN on `field` when a web or kiosk key names a customer without that customer's session."""
    why = info.context.session_refusal(customer_id) if customer_id else None
    return [MutationError(code=MutationErrorCode.FORBIDDEN, field=field, message=why)] if why else []


def refresh_offers(info: strawberry.Info, customer_id: str, reason: str) -> None:
    """Ask the offer worker to recompute a customer; while Redis is down the next event does it."""
    try:
        request_refresh(info.context.services.cache, customer_id, reason)
    except CACHE_DOWN:
        pass


def aware(value: datetime | None, field: str, errors: list[MutationError]) -> datetime:
    """`value` (or now) as an aware UTC datetime; a naive one, or one ahead of this server's clock
    (graph.moments.ahead_of_clock), is an error naming `field`."""
    now = datetime.now(timezone.utc)
    if value is None:
        return now
    if value.tzinfo is None:
        errors.append(invalid(field, "give a time zone offset, e.g. 2024-05-01T10:00:00+02:00"))
        return value
    if ahead_of_clock(value, now):
        errors.append(invalid(field, f"{value.isoformat()} is in the future (this server's time is "
                                     f"{now.isoformat(timespec='seconds')}): check the sender's clock"))
    return value.astimezone(timezone.utc)


def text_field(value: str | None, field: str, errors: list[MutationError], *, required: bool = False,
               most: int = MAX_TEXT) -> str | None:
    """Stripped text; empty becomes None; errors for a missing required value or one longer than `most`."""
    cleaned = value.strip() if value else None
    if required and not cleaned:
        errors.append(invalid(field, f"{field} is required"))
    if cleaned and len(cleaned) > most:
        errors.append(invalid(field, f"{field} is longer than {most} characters"))
    return cleaned or None
