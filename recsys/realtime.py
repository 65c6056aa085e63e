"""Realtime: the one intake for events, and one customer's list recomputed from their latest interactions.

record_event stores the event in Neo4j (idempotent by event id) and appends it to the Redis stream the
workers consume; when Redis is unreachable the event stays stored, flagged, and replay_pending appends it
once Redis is back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import numpy as np
import redis

from graph.driver import Graph
from graph.events import record_events
from graph.interactions import (clear_pending_stream, customer_with_interactions, mark_pending_stream,
                                pending_stream)
from recsys import hybrid, keys, offers
from recsys.history import encode_one, purchase_stats, weighted
from recsys.interactions import EVENT_KINDS
from recsys.model import Artifact
from recsys.precompute import Customers, offer_lists

STREAM_MAXLEN = 1_000_000
REQUIRED = ("event_id", "kind", "channel_id")


class BadEvent(ValueError):
    """An event is missing a field or has a malformed one; the message names it."""


def offers_changed_channel() -> str:
    """Pub/sub channel of `{"customer_id", "model_version", "computed_at"}` notifications."""
    return keys.offers_changed_channel()


def record_event(graph: Graph, cache: redis.Redis, event: dict[str, Any]) -> bool:
    """Store the event and queue it for the workers; True if it was new (a repeated event_id is ignored).

    The workers hear of the profile the event now belongs to (for a merged-away customer id, its survivor)."""
    row = _graph_row(event)
    new = record_events(graph, [row])
    if not new:
        return False
    owner = new[row["event_id"]]
    if owner:
        try:
            _append(cache, [_stream_fields({**row, "customer_id": owner})])
        except redis.RedisError:
            mark_pending_stream(graph, [row["event_id"]])
    return True


def request_refresh(cache: redis.Redis, customer_id: str, reason: str = "refresh") -> None:
    """Ask the workers to recompute a customer (e.g. after a consent change)."""
    _append(cache, [{"event_id": "", "customer_id": customer_id, "kind": reason, "product_id": ""}])


def replay_pending(graph: Graph, cache: redis.Redis, limit: int = 1_000) -> int:
    """Append events stored while Redis was down to the stream; returns how many."""
    pending = pending_stream(graph, limit)
    if not pending:
        return 0
    _append(cache, [{k: v or "" for k, v in e.items()} for e in pending if e["customer_id"]])
    clear_pending_stream(graph, [e["event_id"] for e in pending])
    return len(pending)


def recompute_customer(graph: Graph, cache: redis.Redis, artifact_of: Callable[[str], Artifact | None],
                       customer_id: str, settings: hybrid.HybridSettings,
                       now: float | None = None) -> dict[str, str] | None:
    """Recompute, store and announce one customer's list with their retailer's model (`artifact_of(retailer_id)`);
    the notification payload, None if the customer is unknown or their retailer has no model.

    One graph read (profile, retailer and interactions together) and one Redis pipeline after the versions.
    """
    found = customer_with_interactions(graph, customer_id, EVENT_KINDS)
    if found is None:
        return None
    profile, records = found
    artifact = artifact_of(profile["retailer_id"])
    if artifact is None:
        return None
    at = now if now is not None else time.time()
    settings = hybrid.settings_for(artifact, settings)
    customer = one_customer(artifact, customer_id, profile, records, int(at), settings)
    entries, suppressed = offer_lists(artifact, customer, settings)[0]
    computed_at = datetime.fromtimestamp(at, timezone.utc).isoformat()   # as precompute writes it
    payload = {"customer_id": customer_id, "model_version": artifact.version, "computed_at": computed_at}
    stored = offers.encode_list(artifact.version, computed_at, "realtime", entries, suppressed)
    pipe = cache.pipeline(transaction=False)
    for version in _live_versions(cache):
        pipe.set(keys.customer_offers(customer_id, version), stored)
        offers.hold_identities(pipe, version, customer_id, profile["identities"])
    pipe.publish(keys.offers_changed_channel(), json.dumps(payload))
    pipe.execute()
    return payload


def hold_identities_now(cache: redis.Redis, customer_id: str, identities: list[tuple[str, str]]) -> None:
    """Point the identity map of the served offer versions at `customer_id` for these (kind, value) pairs at once,
    not when a worker next recomputes them (after a merge or unmerge moved identities between profiles)."""
    pipe = cache.pipeline(transaction=False)
    for version in _live_versions(cache):
        offers.hold_identities(pipe, version, customer_id, identities)
    pipe.execute()


def forget_customer(cache: redis.Redis, customer_id: str) -> None:
    """Drop a merged-away profile's lists from every kept offer version (current, previous, building), so its id
    is answered with the survivor's list (the API finds the survivor when a customer has no list) and not the one
    computed before the merge, also after a rollback to the previous version."""
    pipe = cache.pipeline(transaction=False)
    for version in set(offers.versions(cache).values()):
        pipe.delete(keys.customer_offers(customer_id, version))
    pipe.execute()


def one_customer(artifact: Artifact, customer_id: str, profile: dict[str, Any], records: list[dict[str, Any]],
                 now: int, settings: hybrid.HybridSettings) -> Customers:
    """One customer as a one-row Customers batch."""
    coded = encode_one(records, artifact.product_index())
    shape = (1, len(artifact.ids.product_ids))
    stats = purchase_stats(coded, shape, artifact.categories, now, settings.basket_decay)
    stores = {s: i for i, s in enumerate(artifact.store_ids.tolist())}
    home = stores.get(profile.get("home_store_id"), -1)
    if home < 0:
        visited = [stores.get(r["store_id"], -1) for r in records if r["kind"] == "purchase"]
        counts = np.bincount([v for v in visited if v >= 0], minlength=1)
        home = int(counts.argmax()) if counts.sum() else -1
    ids = np.array([customer_id], dtype=object)
    return Customers(ids, weighted(coded, shape, artifact.interaction_settings, now), stats, artifact.peers_of(ids),
                     np.array([home]), np.array([profile.get("personalisation") is not False]))


def _live_versions(cache: redis.Redis) -> list[str]:
    """The current version, and one being built (so a precompute in flight does not lose the update)."""
    known = offers.versions(cache)
    return [v for v in dict.fromkeys([known.get("current"), known.get("building")]) if v]


def _append(cache: redis.Redis, entries: list[dict[str, Any]]) -> None:
    pipe = cache.pipeline(transaction=False)
    for fields in entries:
        pipe.xadd(keys.event_stream(), fields, maxlen=STREAM_MAXLEN, approximate=True)
    pipe.execute()


def _stream_fields(row: dict[str, Any]) -> dict[str, str]:
    return {"event_id": row["event_id"], "customer_id": row["customer_id"] or "", "kind": row["props"]["kind"],
            "product_id": row["product_id"] or ""}


def _graph_row(event: dict[str, Any]) -> dict[str, Any]:
    """The event as graph.events.record_events expects it; BadEvent names what is wrong."""
    for name in REQUIRED:
        if not event.get(name):
            raise BadEvent(f"event field {name!r} is required")
    occurred_at = event.get("occurred_at") or datetime.now(timezone.utc)
    if isinstance(occurred_at, str):
        try:
            occurred_at = datetime.fromisoformat(occurred_at)
        except ValueError:
            raise BadEvent(f"event field 'occurred_at': {occurred_at!r} is not an ISO 8601 time") from None
    if occurred_at.tzinfo is None:
        raise BadEvent("event field 'occurred_at' needs a time-zone offset")
    props = {"kind": event["kind"], "occurred_at": occurred_at}
    for optional in ("query", "order_id"):
        if event.get(optional):
            props[optional] = event[optional]
    return {"event_id": str(event["event_id"]), "customer_id": event.get("customer_id"),
            "product_id": event.get("product_id"), "channel_id": event["channel_id"],
            "store_id": event.get("store_id"), "props": props}
