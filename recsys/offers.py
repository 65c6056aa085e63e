"""The offer store in Redis: versioned lists, an atomic switch with rollback, and serving with rules.

A precompute run writes every list of a new version, then `switch` makes it current in one atomic step
(the old current becomes `previous`, kept for `rollback`; older versions are deleted). Serving reads the
current version, drops what the channel or store does not sell, and tops the list up from the fallback
chain: popular at the store -> popular in the channel -> popular overall.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis

from recsys import keys

SWITCH = """
local previous = redis.call('HGET', KEYS[1], 'current')
redis.call('HSET', KEYS[1], 'current', ARGV[1])
if previous and previous ~= ARGV[1] then redis.call('HSET', KEYS[1], 'previous', previous) end
redis.call('HDEL', KEYS[1], 'building')
return previous
"""
ROLLBACK = """
local current = redis.call('HGET', KEYS[1], 'current')
local previous = redis.call('HGET', KEYS[1], 'previous')
if not previous then return nil end
redis.call('HSET', KEYS[1], 'current', previous, 'previous', current)
return previous
"""
STORE_CHANNELS = ("kiosk", "pos")   # channels that sell only what the store carries
REASONS = {
    "repurchase_due": "You buy {product} about every {days} days: time to stock up again",
    "buy_again": "You often buy {product}",
    "similar_to_purchase": "Goes with {source}, which you bought or looked at",
    "bought_together": "Often bought with {source}",
    "popular_at_store": "Popular at your store",
    "popular": "Popular right now",
    "popular_in_channel": "Popular in this channel",
    "no_consent": "Popular at your store (personalised offers are off: no consent to personalisation)",
}


@dataclass
class Offer:
    product_id: str
    score: float
    reason_code: str
    reason: str
    source_product_id: str | None = None


@dataclass
class Suppressed:
    product_id: str
    reason: str


@dataclass
class OfferList:
    customer_id: str
    offers: list[Offer]
    model_version: str | None
    computed_at: str | None
    source: str                      # 'model' | 'realtime' | 'fallback'
    fallback_used: bool = False
    suppressed: list[Suppressed] = field(default_factory=list)


def encode_list(model_version: str, computed_at: str, source: str, offers: list[list[Any]],
                suppressed: list[list[Any]]) -> bytes:
    """A stored list: offers as [product_id, score, reason_code, source_product_id|None, days|None]."""
    return json.dumps({"model_version": model_version, "computed_at": computed_at, "source": source,
                       "offers": offers, "suppressed": suppressed}, separators=(",", ":")).encode()


def encode_popular(entries: list[tuple[str, float]]) -> bytes:
    return json.dumps([[p, round(s, 6)] for p, s in entries], separators=(",", ":")).encode()


def current_version(cache: redis.Redis) -> str | None:
    value = cache.hget(keys.versions(), "current")
    return value.decode() if value else None


def versions(cache: redis.Redis) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in cache.hgetall(keys.versions()).items()}


def begin(cache: redis.Redis, version: str) -> None:
    """Announce a version being built (the worker also writes realtime lists into it)."""
    cache.hset(keys.versions(), "building", version)


def switch(cache: redis.Redis, version: str) -> str | None:
    """Make `version` current atomically; the old current becomes previous; returns the old current."""
    old = cache.eval(SWITCH, 1, keys.versions(), version)
    return old.decode() if old else None


def rollback(cache: redis.Redis) -> str | None:
    """Serve the previous version again (current and previous swap); None if there is none."""
    restored = cache.eval(ROLLBACK, 1, keys.versions())
    return restored.decode() if restored else None


def abandon(cache: redis.Redis, version: str) -> int:
    """Delete every key of a version that failed or is no longer kept; clears `building` if it names it."""
    if cache.hget(keys.versions(), "building") == version.encode():
        cache.hdel(keys.versions(), "building")
    removed = 0
    batch: list[bytes] = []
    for key in cache.scan_iter(match=keys.version_pattern(version), count=5_000):
        batch.append(key)
        if len(batch) == 5_000:
            removed += cache.unlink(*batch)
            batch = []
    if batch:
        removed += cache.unlink(*batch)
    return removed


def read_next_best_offers(cache: redis.Redis, customer_id: str, *, channel: str | None = None,
                          store_id: str | None = None, limit: int = 10) -> OfferList:
    """The customer's current list, filtered for the channel and store, topped up from popular lists."""
    version = current_version(cache)
    raw = cache.get(keys.customer_offers(customer_id, version)) if version else None
    stored = json.loads(raw) if raw else None
    entries = stored["offers"] if stored else []
    suppressed = [Suppressed(p, reason) for p, reason in (stored or {}).get("suppressed", [])]
    assortment = _assortment_filter(cache, version, channel, store_id)
    kept, dropped = _filter(cache, entries, assortment, limit)
    suppressed += [Suppressed(p, f"not sold at store {store_id}") for p in dropped]
    fallback_used = len(kept) < limit
    if fallback_used and version:
        seen = {e[0] for e in kept} | set(dropped)
        kept += [e for e in _fallback(cache, version, channel, store_id, assortment, limit * 3)
                 if e[0] not in seen][:limit - len(kept)]
    offers = _with_reasons(cache, version, kept[:limit])
    source = stored["source"] if stored else "fallback"
    return OfferList(customer_id, offers, stored["model_version"] if stored else None,
                     stored["computed_at"] if stored else None, source, fallback_used, suppressed)


def popular_products(cache: redis.Redis, *, store_id: str | None = None, channel: str | None = None,
                     limit: int = 10) -> list[Offer]:
    """Popular at the store, else in the channel, else overall (anonymous visitors, cold start)."""
    version = current_version(cache)
    if version is None:
        return []
    assortment = _assortment_filter(cache, version, channel, store_id)
    return _with_reasons(cache, version, _fallback(cache, version, channel, store_id, assortment, limit))


def similar_products(cache: redis.Redis, product_id: str, limit: int = 10) -> list[Offer]:
    """Products most often bought by the same customers as `product_id`."""
    version = current_version(cache)
    raw = cache.get(keys.similar_products(product_id, version)) if version else None
    entries = [[p, s, "bought_together", product_id, None] for p, s in json.loads(raw)] if raw else []
    return _with_reasons(cache, version, entries[:limit])


def _assortment_filter(cache: redis.Redis, version: str | None, channel: str | None,
                       store_id: str | None) -> str | None:
    """The assortment key to check against, when the channel sells only what the store carries."""
    if version is None or store_id is None or (channel is not None and channel not in STORE_CHANNELS):
        return None
    key = keys.store_assortment(store_id, version)
    return key if cache.exists(key) else None


def _filter(cache: redis.Redis, entries: list[list[Any]], assortment: str | None,
            limit: int) -> tuple[list[list[Any]], list[str]]:
    if assortment is None or not entries:
        return entries[:limit], []
    carried = cache.smismember(assortment, [e[0] for e in entries])
    kept = [e for e, ok in zip(entries, carried) if ok]
    return kept[:limit], [e[0] for e, ok in zip(entries, carried) if not ok]


def _fallback(cache: redis.Redis, version: str, channel: str | None, store_id: str | None,
              assortment: str | None, limit: int) -> list[list[Any]]:
    chain = [(keys.popular_at_store(store_id, version), "popular_at_store")] if store_id else []
    if channel:
        chain.append((keys.popular_in_channel(channel, version), "popular_in_channel"))
    chain.append((keys.popular_overall(version), "popular"))
    found: list[list[Any]] = []
    seen: set[str] = set()
    for key, code in chain:
        raw = cache.get(key)
        candidates = [[p, s, code, None, None] for p, s in json.loads(raw) if p not in seen] if raw else []
        candidates, _ = _filter(cache, candidates, assortment, len(candidates))
        found += candidates
        seen.update(e[0] for e in candidates)
        if len(found) >= limit:
            break
    return found[:limit]


def _with_reasons(cache: redis.Redis, version: str | None, entries: list[list[Any]]) -> list[Offer]:
    if not entries or version is None:
        return []
    ids = list({e[0] for e in entries} | {e[3] for e in entries if e[3]})
    names = dict(zip(ids, cache.hmget(keys.product_names(version), ids)))

    def name(product_id: str | None) -> str:
        raw = names.get(product_id) if product_id else None
        return raw.decode() if raw else f"product {product_id}"

    return [Offer(p, float(s), code, REASONS.get(code, code).format(product=name(p), source=name(src),
                                                                     days=days or "?"), src)
            for p, s, code, src, days in entries]
