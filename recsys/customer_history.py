"""Each recently active customer's profile and interactions, kept in Redis next to their lists.

The worker recomputes a customer after each of their events. Reading their whole history back from the
graph grows with it (2,000 interaction rows: 10-14 ms); so a recomputation that reads the graph keeps what
it read under the customer's hash tag for `ttl_s` (default half an hour: a shopping session), and the next
events the stream describes in full (a view, a cart, a wishlist: product, time, store) are appended to the
kept copy instead. What the stream cannot describe in full reads the graph again: an order (its lines are
in the graph), a consent change, a merge or unmerge, an entry replayed after an outage, or a history that
expired. An event already kept (by event id) is not appended twice, so a redelivered stream entry changes
nothing. A customer who makes themselves known (a card scan, a sign-in) has their history read and kept before
their first event (realtime.customer_identified). A kept copy serves only while the offer version it was kept
under is current: a precompute (which reads every customer afresh) retires them all. Changes the stream never
hears of (a bulk load) show up then, or when the kept copy expires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from recsys import keys
from recsys.interactions import EVENT_KINDS

TTL_S = 1_800
IDENTIFIED = "identified"   # a stream entry saying a customer made themselves known (realtime.customer_identified)
ORDER_KINDS = frozenset({"purchase", "return"})   # an order's event names no product: its lines are in the graph


@dataclass(frozen=True)
class History:
    """As graph.interactions.customer_with_interactions reads it: profile (retailer_id, home_store_id,
    personalisation, identities) and interaction rows (lists in RECORD_FIELDS order)."""

    profile: dict[str, Any]
    rows: list[list[Any]]


def read(cache: Any, customer_id: str, version: str | None) -> History | None:
    """The history kept while `version` was the current offer version; None when none is kept or it was kept
    under another one (a precompute since has read every customer afresh). `cache` may be a pipeline in immediate
    (WATCH) mode."""
    stored = cache.get(keys.customer_history(customer_id))
    if stored is None:
        return None
    data = orjson.loads(stored)
    return History(data["profile"], data["rows"]) if data["version"] == version else None


def keep(pipe: Any, customer_id: str, history: History, version: str | None, ttl_s: int = TTL_S) -> None:
    """Queue the write of a customer's history, kept under the current offer `version`, on a pipeline; it expires
    after `ttl_s` seconds."""
    stored = orjson.dumps({"version": version, "profile": history.profile, "rows": history.rows})
    pipe.set(keys.customer_history(customer_id), stored, ex=ttl_s)


def forget(pipe: Any, customer_id: str) -> None:
    """Queue dropping a customer's kept history (a merged-away profile)."""
    pipe.delete(keys.customer_history(customer_id))


def with_events(history: History, events: Iterable[Mapping[str, str]]) -> History | None:
    """The history with these stream entries' interactions appended; None when one of them needs the graph.

    An entry is a realtime stream entry (recsys.realtime): event_id, kind, product_id, at (epoch seconds),
    store_id; a refresh request has no event_id.
    """
    rows = list(history.rows)
    known = {row[1] for row in rows}
    for event in events:
        row = _row(event)
        if row is None:
            return None
        if row and row[1] not in known:
            rows.append(row)
            known.add(row[1])
    return History(history.profile, rows)


def _row(event: Mapping[str, str]) -> list[Any] | None:
    """The interaction row an entry adds ([] when it adds none), None when only the graph knows it."""
    kind, product_id = event.get("kind", ""), event.get("product_id", "")
    if not event.get("event_id"):
        return [] if kind == IDENTIFIED else None   # else a refresh request: consent, merge, unmerge ...
    if kind not in EVENT_KINDS:
        return []                                   # a search or a visit: no product, no weight
    if not product_id:
        return None if kind in ORDER_KINDS else []
    if not event.get("at"):
        return None                                 # replayed after an outage: the graph has its time
    return [product_id, event["event_id"], int(event["at"]), kind, event.get("store_id") or None]
