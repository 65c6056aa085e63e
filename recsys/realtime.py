"""Realtime: the one intake for events, and one customer's list recomputed from their latest interactions.

record_event stores the event in Neo4j (idempotent by event id) and appends it to the Redis stream the
workers consume; when Redis is unreachable the event stays stored, flagged, and replay_pending appends it
once Redis is back.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
import redis

from graph.driver import Graph
from graph.events import record_events
from graph.interactions import (clear_pending_stream, customer_with_interactions, mark_pending_stream,
                                pending_stream)
from recsys import customer_history, hybrid, keys, offers
from recsys.history import BasketDecay, Coded, PurchaseHistory, encode_one, purchase_history, weighted
from recsys.interactions import EVENT_KINDS
from recsys.model import Artifact
from recsys.precompute import Customers, offer_lists
from recsys.training import home_store_index

STREAM_MAXLEN = 1_000_000
HISTORY_ATTEMPTS = 3    # transactions tried on a customer's kept history before writing the list without one
REQUIRED = ("event_id", "kind", "channel_id")
MEMO_CUSTOMERS = 2_000  # customers whose purchase history a worker keeps per model (complete_journey: 17 KB each)
REHEARSALS = 3          # the model's customers tried, in turn, for a rehearsal


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


def customer_identified(cache: redis.Redis, customer_id: str) -> bool:
    """Tell the workers a customer has just made themselves known (a card scanned at a kiosk, a webshop sign-in):
    unless their history is kept already, a worker reads it from the graph and keeps it, and recomputes their list,
    so that the events of the visit that follows are ranked without a graph read. Best effort: False, and nothing
    else, when Redis cannot be reached."""
    try:
        request_refresh(cache, customer_id, customer_history.IDENTIFIED)
    except redis.RedisError:
        return False
    return True


def replay_pending(graph: Graph, cache: redis.Redis, limit: int = 1_000) -> int:
    """Append events stored while Redis was down to the stream; returns how many."""
    pending = pending_stream(graph, limit)
    if not pending:
        return 0
    _append(cache, [{k: v or "" for k, v in e.items()} for e in pending if e["customer_id"]])
    clear_pending_stream(graph, [e["event_id"] for e in pending])
    return len(pending)


def recompute_customer(graph: Graph, cache: redis.Redis, artifact_of: Callable[[str], Artifact | None],
                       customer_id: str, settings: hybrid.HybridSettings, now: float | None = None,
                       events: Sequence[Mapping[str, str]] | None = None,
                       history_ttl_s: int = customer_history.TTL_S) -> dict[str, str] | None:
    """Recompute, store and announce one customer's list with their retailer's model (`artifact_of(retailer_id)`);
    the notification payload, None if the customer is unknown or their retailer has no model.

    `events` are the stream entries that asked for it: when the customer's kept history (recsys.customer_history)
    can take them, it replaces the graph read; None reads the graph. At most one graph read (profile, retailer and
    interactions together); the history and the lists are written in one transaction that fails if another worker
    changed the history meanwhile (WATCH), and this one then starts again.
    """
    for _ in range(HISTORY_ATTEMPTS):
        try:
            return _recompute(graph, cache, artifact_of, customer_id, settings, now, events, history_ttl_s)
        except redis.WatchError:
            continue
    return _recompute(graph, cache, artifact_of, customer_id, settings, now, None, 0)   # contended: keep none


def _recompute(graph: Graph, cache: redis.Redis, artifact_of: Callable[[str], Artifact | None], customer_id: str,
               settings: hybrid.HybridSettings, now: float | None, events: Sequence[Mapping[str, str]] | None,
               history_ttl_s: int) -> dict[str, str] | None:
    """One attempt of recompute_customer; history_ttl_s 0 writes no history and drops the kept one."""
    with cache.pipeline(transaction=True) as pipe:
        if history_ttl_s:
            pipe.watch(keys.customer_history(customer_id))
        current, versions = _live_versions(cache)
        identified_only = _only_identified(events)
        if identified_only and not history_ttl_s:
            return None                                   # no history is kept: nothing to prepare
        history, from_kept = _history(graph, pipe, customer_id, events if history_ttl_s else None, current)
        if identified_only and from_kept:
            return None                                   # theirs is kept already, and their list came from it
        artifact = artifact_of(history.profile["retailer_id"]) if history else None
        if history is None or artifact is None:
            return None
        at = now if now is not None else time.time()
        settings = hybrid.settings_for(artifact, settings)
        entries, suppressed = offer_lists(artifact, one_customer(artifact, customer_id, history, int(at), settings),
                                          settings)[0]
        computed_at = datetime.fromtimestamp(at, timezone.utc).isoformat()   # as precompute writes it
        stored = offers.encode_list(artifact.version, computed_at, "realtime", entries, suppressed)
        pipe.multi()
        if history_ttl_s:
            customer_history.keep(pipe, customer_id, history, current, history_ttl_s)
        else:
            customer_history.forget(pipe, customer_id)
        for version in versions:
            pipe.set(keys.customer_offers(customer_id, version), stored)
        pipe.execute()
    payload = {"customer_id": customer_id, "model_version": artifact.version, "computed_at": computed_at}
    after = cache.pipeline(transaction=False)            # keys outside the customer's slot, then the announcement
    for version in versions:
        offers.hold_identities(after, version, customer_id, history.profile["identities"])
    after.publish(keys.offers_changed_channel(), json.dumps(payload))
    after.execute()
    return payload


def plan_history_read(graph: Graph, artifact: Artifact) -> None:
    """Read one of the model's customers' history, as an event does when none is kept: a load that refreshes
    Neo4j's statistics drops the read's plan, which the next event would otherwise wait for (Neo4j keys a plan by
    the parameters' types and lengths, so the model's own customer id stands for the others)."""
    if len(artifact.ids.customer_ids):
        customer_with_interactions(graph, str(artifact.ids.customer_ids[0]), EVENT_KINDS)


def rehearse(graph: Graph, artifact: Artifact, settings: hybrid.HybridSettings) -> str | None:
    """Rank one of the model's customers and keep nothing: neither list, history nor announcement. A model's first
    ranking builds its lookups and first touches its arrays (on complete_journey 50-250 ms, against 4-5 ms for
    the next), so the worker rehearses a model it loads before events meet it. The customer ranked; None when none
    of the first REHEARSALS could be read (then the first event pays)."""
    settings = hybrid.settings_for(artifact, settings)
    for customer_id in artifact.ids.customer_ids[:REHEARSALS].tolist():
        found = customer_with_interactions(graph, customer_id, EVENT_KINDS)
        if found:
            history = customer_history.History(*found)
            offer_lists(artifact, one_customer(artifact, customer_id, history, int(time.time()), settings), settings)
            return str(customer_id)
    return None


def _only_identified(events: Sequence[Mapping[str, str]] | None) -> bool:
    return events is not None and len(events) > 0 and all(e.get("kind") == customer_history.IDENTIFIED
                                                          for e in events)


def _history(graph: Graph, pipe: Any, customer_id: str, events: Sequence[Mapping[str, str]] | None,
             version: str | None) -> tuple[customer_history.History | None, bool]:
    """(the history kept under `version` with `events` appended, else the graph's; None if the customer is
    unknown), and whether it is the kept one."""
    if events is not None:
        kept = customer_history.read(pipe, customer_id, version)
        history = customer_history.with_events(kept, events) if kept else None
        if history is not None:
            return history, True
    found = customer_with_interactions(graph, customer_id, EVENT_KINDS)
    return (customer_history.History(*found) if found else None), False


def hold_identities_now(cache: redis.Redis, customer_id: str, identities: list[tuple[str, str]]) -> None:
    """Point the identity map of the served offer versions at `customer_id` for these (kind, value) pairs at once,
    not when a worker next recomputes them (after a merge or unmerge moved identities between profiles)."""
    pipe = cache.pipeline(transaction=False)
    for version in _live_versions(cache)[1]:
        offers.hold_identities(pipe, version, customer_id, identities)
    pipe.execute()


def forget_customer(cache: redis.Redis, customer_id: str) -> None:
    """Drop a merged-away profile's lists from every kept offer version (current, previous, building), so its id
    is answered with the survivor's list (the API finds the survivor when a customer has no list) and not the one
    computed before the merge, also after a rollback to the previous version."""
    pipe = cache.pipeline(transaction=False)
    for version in set(offers.versions(cache).values()):
        pipe.delete(keys.customer_offers(customer_id, version))
    customer_history.forget(pipe, customer_id)
    pipe.execute()


def one_customer(artifact: Artifact, customer_id: str, history: customer_history.History, now: int,
                 settings: hybrid.HybridSettings) -> Customers:
    """One customer as a one-row Customers batch."""
    profile = history.profile
    coded = encode_one(history.rows, artifact.product_index())
    shape = (1, len(artifact.ids.product_ids))
    stats = _purchases(artifact, customer_id, coded, shape, settings.basket_decay).at(now)
    stores = {s: i for i, s in enumerate(artifact.store_ids.tolist())}
    home = stores.get(profile.get("home_store_id"), -1)
    if home < 0:
        home = _visited_most(history.rows, stores)
    ids = np.array([customer_id], dtype=object)
    return Customers(ids, weighted(coded, shape, artifact.interaction_settings, now), stats, artifact.peers_of(ids),
                     np.array([home]), np.array([profile.get("personalisation") is not False]))


def _visited_most(rows: list[list[Any]], stores: dict[str, int]) -> int:
    """The home store the precompute infers from the same purchases (recsys.training.home_store_index), -1 none."""
    baskets: dict[object, tuple[str | None, int]] = {}      # a basket's lines share its store and time
    for _, basket_id, at, kind, store_id in rows:
        if kind == "purchase":
            baskets.setdefault(basket_id, (store_id, at))
    n = len(baskets)
    return int(home_store_index(np.zeros(n, dtype=np.int64), np.arange(n),
                                np.fromiter((stores.get(s, -1) for s, _ in baskets.values()), np.int64, n),
                                np.fromiter((at for _, at in baskets.values()), np.int64, n), 1)[0])


def _purchases(artifact: Artifact, customer_id: str, coded: Coded, shape: tuple[int, int],
               decay: BasketDecay) -> PurchaseHistory:
    """The customer's purchase history, made again only when their purchases changed: a visit's views and carts
    change none of it, so every event of the visit after the first reuses it (a digest of the coded purchase
    rows tells). Kept per model, for the last MEMO_CUSTOMERS customers at most (cleared when full)."""
    bought = coded.select(coded.kind == 0)
    digest = hashlib.blake2b(b"".join(a.tobytes() for a in (bought.col, bought.basket, bought.at)),
                             digest_size=16).digest()
    memo = artifact.worker_memo
    kept = memo.get(("purchases", customer_id, decay))
    if kept is not None and kept[0] == digest:
        return kept[1]  # type: ignore[no-any-return]
    if len(memo) >= MEMO_CUSTOMERS:
        memo.clear()
    made = purchase_history(coded, shape, artifact.categories, decay)
    memo[("purchases", customer_id, decay)] = (digest, made)
    return made


def _live_versions(cache: redis.Redis) -> tuple[str | None, list[str]]:
    """The current version, and the versions a list is written into: the current one and one being built (so a
    precompute in flight does not lose the update)."""
    known = offers.versions(cache)
    return known.get("current"), [v for v in dict.fromkeys([known.get("current"), known.get("building")]) if v]


def _append(cache: redis.Redis, entries: list[dict[str, Any]]) -> None:
    pipe = cache.pipeline(transaction=False)
    for fields in entries:
        pipe.xadd(keys.event_stream(), fields, maxlen=STREAM_MAXLEN, approximate=True)
    pipe.execute()


def _stream_fields(row: dict[str, Any]) -> dict[str, str]:
    """What the workers hear of an event: enough to append a view to a kept history (recsys.customer_history)."""
    return {"event_id": row["event_id"], "customer_id": row["customer_id"] or "", "kind": row["props"]["kind"],
            "product_id": row["product_id"] or "", "store_id": row["store_id"] or "",
            "at": str(int(row["props"]["occurred_at"].timestamp() // 1))}


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
