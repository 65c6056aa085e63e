"""Read a query's selection ahead of execution, so a customer's profile is fetched in one round trip.

The root resolvers look at which optional parts of `Customer` (orders, events, serviceCases,
timeline) the query selects, with their arguments, and ask the graph for exactly those. A field
selected twice with different arguments (aliases) is served by an extra read for the second one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any, TypeVar

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from api.errors import BadInput
from api.types.common import enum_value
from api.types.order import parse_order_cursor
from graph.profiles import OrderPage, ProfileParts

T = TypeVar("T")
MAX_ORDERS, MAX_EVENTS, MAX_CASES, MAX_TIMELINE = 100, 200, 50, 200
DEFAULT_ORDERS, DEFAULT_EVENTS, DEFAULT_CASES, DEFAULT_TIMELINE = 20, 20, 20, 50


def fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """Selected fields, with fragments spread in place."""
    for s in selections:
        if isinstance(s, (FragmentSpread, InlineFragment)):
            yield from fields(s.selections)
        elif isinstance(s, SelectedField):
            yield s


def child(selections: Iterable[Selection], name: str) -> SelectedField | None:
    return next((f for f in fields(selections) if f.name == name), None)


def bounded(value: int | str, most: int, name: str) -> int:
    """`value` (an int, or its literal text as read from a selection) if within 1..most; else BadInput."""
    value = int(value)
    if not 1 <= value <= most:
        raise BadInput(f"{name} must be between 1 and {most}, got {value}.", field=name)
    return value


def _when(value: Any, name: str) -> datetime | None:
    """An order-range bound in UTC, as orders' times are stored (Neo4j orders equal instants with different
    offsets apart, so a bound at 10:00+01:00 would miss an order at 09:00Z); one without an offset is an error
    (it matched no order, silently)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            raise BadInput(f"{name} is not an ISO 8601 date-time.", field=name) from None
    if value.tzinfo is None:
        raise BadInput(f"{name} needs a time zone offset, e.g. 2024-05-01T10:00:00+02:00.", field=name)
    return value.astimezone(timezone.utc)


def order_page(first: int | str = DEFAULT_ORDERS, after: str | None = None, channel: Any = None,
               store: str | None = None, since: Any = None, until: Any = None) -> OrderPage:
    """The graph's order filter for `Customer.orders` arguments."""
    after_at, after_id = parse_order_cursor(after) if after else (None, None)
    return OrderPage(first=bounded(first, MAX_ORDERS, "first"), channel_id=enum_value(channel),
                     store_id=str(store) if store else None, since=_when(since, "since"),
                     until=_when(until, "until"), after_at=after_at, after_id=after_id)


def event_kinds(kinds: Any) -> tuple[str, ...] | None:
    return tuple(enum_value(k) for k in kinds) if kinds else None


def customer_parts(selections: Iterable[Selection]) -> ProfileParts:
    """The optional profile parts a Customer selection asks for. A part whose arguments are refused is not
    fetched ahead: its own field resolver then reports the error on that field, and the rest of the customer
    still arrives."""
    found = {f.name: f.arguments for f in fields(selections)}
    orders = found.get("orders")
    events = found.get("events")
    cases = found.get("serviceCases")
    timeline = found.get("timeline")
    return ProfileParts(
        orders=_lenient(lambda: order_page(**_snake(orders)), None) if orders is not None else None,
        events_first=_lenient(lambda: bounded(events.get("first", DEFAULT_EVENTS), MAX_EVENTS, "first"), 0)
        if events is not None else 0,
        event_kinds=_lenient(lambda: event_kinds(events.get("kinds")), None) if events is not None else None,
        cases_first=_lenient(lambda: bounded(cases.get("first", DEFAULT_CASES), MAX_CASES, "first"), 0)
        if cases is not None else 0,
        timeline_first=_lenient(lambda: bounded(timeline.get("first", DEFAULT_TIMELINE), MAX_TIMELINE, "first"), 0)
        if timeline is not None else 0,
        campaigns="campaigns" in found,
    )


def _lenient(read: Callable[[], T], otherwise: T) -> T:
    try:
        return read()
    except BadInput:
        return otherwise


def _snake(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in arguments.items() if k in {"first", "after", "channel", "store", "since", "until"}}
