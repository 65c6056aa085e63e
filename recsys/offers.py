"""The offer store in Redis: versioned lists, an atomic switch with rollback, and serving with rules.

A precompute run writes every list of a new version, then `switch` makes it current in one atomic step
(the old current becomes `previous`, kept for `rollback`; older versions are deleted). Serving reads the
current version, drops what the channel or store does not sell, and tops the list up from the fallback
chain: popular at the store -> popular in the channel -> popular overall.

An `OfferReader` (one per process) serves a request with one Redis round trip: `HGET versions current`
pipelined with the GET of the customer's list in the version it last saw (a second GET only right after
a switch). A version is complete before it becomes current and never changes afterwards (except customer
lists, which the realtime worker rewrites in place and so are never kept), so the reader keeps each
version's names, popular lists and store assortments locally, read on first use; then it filters, tops
up and explains without Redis. The pipeline is no transaction and no script touches two keys, so this
works on Redis Cluster too (there the pipeline writes to each node involved before reading any reply).
"""

from __future__ import annotations

import threading
from collections import ChainMap, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lz4.frame
import orjson
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
LZ4_FRAME = b"\x04\x22\x4d\x18"   # the magic number an LZ4 frame starts with
STORE_CHANNELS = ("kiosk", "pos")   # channels that sell only what the store carries
REASONS = {
    "repurchase_due": "You buy {product} about every {days} days: time to stock up again",
    "buy_again": "You often buy {product}",
    "similar_to_purchase": "Goes with {source}, which you bought or looked at",
    "bought_together": "Often bought with {source}",
    "popular_at_store": "Popular at your store",
    "popular": "Popular right now",
    "popular_in_channel": "Popular in this channel",
    "customers_like_you": "Popular with customers who shop like you",
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


def encode_list(model_version: str, computed_at: str, source: str, offers: Sequence[Sequence[Any]],
                suppressed: Sequence[Sequence[Any]]) -> bytes:
    """A stored list: JSON with offers as [product_id, score, reason_code, source_product_id|None, days|None], as
    an LZ4 frame (a third of the bytes: less Redis memory, append-only file and rewrite work; 3 us each way)."""
    return lz4.frame.compress(orjson.dumps(
        {"model_version": model_version, "computed_at": computed_at, "source": source, "offers": offers,
         "suppressed": suppressed}, option=orjson.OPT_SERIALIZE_NUMPY))


def decode_list(stored: bytes) -> dict[str, Any]:
    """A list as encode_list stores it, or as plain JSON (how lists were stored before they were compressed)."""
    return orjson.loads(lz4.frame.decompress(stored) if stored.startswith(LZ4_FRAME) else stored)


def encode_popular(entries: Iterable[tuple[str, float]]) -> bytes:
    """A stored popular or similar-products list: [product_id, score], best first."""
    return orjson.dumps(list(entries), option=orjson.OPT_SERIALIZE_NUMPY)   # a pair is a JSON array either way


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


NAMES_PER_READ = 2_000     # product names per HSCAN call when a new version's names are read aside


class OfferReader:
    """Serving reads for one process: one Redis round trip each, version-wide data kept locally.

    A version's product names, popular lists and store assortments never change once it is current, so
    they are read once per version: names on first use (or by `prime` before a server takes requests; after a
    switch, on a thread while the previous version's stand in), a store's or channel's lists the first time it
    is asked for, holding at most `max_items` product ids of them (about 100 bytes each; the least recently
    used lists go first). A customer's list and similar products are read every time, pipelined with the
    current version. Only the current version and the one seen before it are kept.
    """

    def __init__(self, cache: redis.Redis, max_items: int = 500_000) -> None:
        self.cache = cache
        self.max_items = max_items
        self.version: str | None = None          # the current version as this process last saw it
        self.local: dict[str, _VersionData] = {}

    def next_best_offers(self, customer_id: str, *, channel: str | None = None, store_id: str | None = None,
                         limit: int = 10) -> OfferList:
        """The customer's current list, filtered for the channel and store, topped up from popular lists."""
        version, raw = self._read(lambda v: keys.customer_offers(customer_id, v))
        stored = decode_list(raw) if raw else None
        scope = self._scope(version, channel, store_id)
        suppressed = [Suppressed(p, reason) for p, reason in (stored or {}).get("suppressed", [])]
        kept, dropped = _filter(stored["offers"] if stored else [], scope.carried, limit)
        suppressed += [Suppressed(p, f"not sold at store {store_id}") for p in dropped]
        fallback_used = len(kept) < limit or any(e[2] == "no_consent" for e in kept)
        if fallback_used:
            kept += _fallback(scope, limit - len(kept), {e[0] for e in kept} | set(dropped))
        offers = _with_reasons(scope.names_for(self.cache, kept[:limit]), kept[:limit])
        source = stored["source"] if stored else "fallback"
        return OfferList(customer_id, offers, stored["model_version"] if stored else None,
                         stored["computed_at"] if stored else None, source, fallback_used, suppressed)

    def popular(self, *, store_id: str | None = None, channel: str | None = None, limit: int = 10) -> list[Offer]:
        """Popular at the store, else in the channel, else overall (anonymous visitors, cold start)."""
        scope = self._scope(self._saw(self.cache.hget(keys.versions(), "current")), channel, store_id)
        entries = _fallback(scope, limit)
        return _with_reasons(scope.names_for(self.cache, entries), entries)

    def knows_store(self, store_id: str) -> bool:
        """Whether the current version holds the store's bestsellers or assortment (read once per version)."""
        scope = self._scope(self.version or self._saw(self.cache.hget(keys.versions(), "current")), None, store_id)
        return scope.carried is not None or bool(scope.chain and scope.chain[0][0])

    def similar(self, product_id: str, limit: int = 10) -> list[Offer]:
        """Products most often bought by the same customers as `product_id`."""
        version, raw = self._read(lambda v: keys.similar_products(product_id, v))
        entries = [[p, s, "bought_together", product_id, None] for p, s in orjson.loads(raw)] if raw else []
        entries = entries[:limit]
        return _with_reasons(self._scope(version, None, None).names_for(self.cache, entries), entries)

    def identity_holder(self, kind: str, value: str) -> str | None:
        """The customer holding an identifier as the current version knows it; None if it does not.

        Precompute writes every identity of every customer it lists, the worker rewrites a customer's
        identities whenever it recomputes them (after a merge, say), and `remember_holder` adds newer ones.
        """
        _, raw = self._read(lambda v: keys.identity_holder(kind, value, v))
        return raw.decode() if raw else None

    def remember_holder(self, kind: str, value: str, customer_id: str) -> None:
        """Add a holder found in the graph to the current version, unless it already names one."""
        if self.version is not None:
            self.cache.set(keys.identity_holder(kind, value, self.version), customer_id, nx=True)

    def prime(self) -> None:
        """Read the current version's product names now (a server about to take requests): the first request
        would otherwise wait for them (92,331 names on complete_journey: 140-170 ms of a new server's first kiosk
        request) and hold up every request behind it."""
        self._scope(self._saw(self.cache.hget(keys.versions(), "current")), None, None)

    def _read(self, key_of: Callable[[str], str]) -> tuple[str | None, bytes | None]:
        """The current version and the value of `key_of(it)`: one round trip unless the version changed."""
        guess = self.version
        pipe = self.cache.pipeline(transaction=False)
        pipe.hget(keys.versions(), "current")
        if guess is not None:
            pipe.get(key_of(guess))
        current, *value = pipe.execute()
        version = self._saw(current)
        if version == guess:
            return version, value[0] if value else None
        return version, self.cache.get(key_of(version)) if version else None

    def _saw(self, current: bytes | None) -> str | None:
        """Note the current version; drop local data of versions other than it and the one seen before."""
        version = current.decode() if current else None
        if version != self.version:
            self.local = {v: data for v, data in self.local.items() if v in (version, self.version)}
            self.version = version
        return version

    def _scope(self, version: str | None, channel: str | None, store_id: str | None) -> _Scope:
        if version is None:
            return _Scope({}, None, [])
        data = self.local.get(version)
        if data is None:
            held = [d.names for v, d in self.local.items() if v != version and d.names]
            data = self.local[version] = _VersionData(version, self.max_items, held[-1] if held else None)
        return data.scope(self.cache, channel, store_id)


def hold_identities(pipe: Any, version: str, customer_id: str, identities: Iterable[Sequence[str]]) -> None:
    """Queue, on a pipeline, the identity map entries of a customer: each [kind, value] -> customer_id."""
    for kind, value in identities:
        pipe.set(keys.identity_holder(kind, value, version), customer_id)


def read_next_best_offers(cache: redis.Redis, customer_id: str, *, channel: str | None = None,
                          store_id: str | None = None, limit: int = 10) -> OfferList:
    """One read through a fresh reader (scripts, tests); a server keeps one OfferReader instead."""
    return OfferReader(cache).next_best_offers(customer_id, channel=channel, store_id=store_id, limit=limit)


@dataclass
class _Scope:
    """What one request uses of its version's local data."""

    names: dict[str, str]
    carried: frozenset[str] | None                  # the store's assortment, when the channel sells only that
    chain: list[tuple[list[list[Any]], str]]         # popular lists in fallback order, with their reason codes
    version: str | None = None
    stand_in: bool = False                           # `names` are the previous version's (see _VersionData)

    def names_for(self, cache: redis.Redis, entries: list[list[Any]]) -> Mapping[str, str]:
        """Names to label `entries` with: the version's own; while they are being read, the previous version's,
        with the products it does not name read in one HMGET."""
        missing = sorted({p for e in entries for p in (e[0], e[3]) if p and p not in self.names}) \
            if self.stand_in and self.version else []
        if not missing:
            return self.names
        found = cache.hmget(keys.product_names(str(self.version)), missing)
        return ChainMap({p: v.decode() for p, v in zip(missing, found) if v}, self.names)


class _VersionData:
    """One version's data shared by every customer, read from Redis once: names, popular lists, assortments.

    The names are one hash of every product (92,331 on complete_journey: 115-190 ms to read and decode). Read with
    the first request, they would hold it up, and every request behind it; so when the version replaces one whose
    names are held (`stand_in`), those serve while this version's are read on a thread of their own."""

    def __init__(self, version: str, max_items: int, stand_in: dict[str, str] | None = None) -> None:
        self.version = version
        self.max_items = max_items
        self.names: dict[str, str] | None = None
        self.stand_in = stand_in
        self.reading: threading.Thread | None = None
        self.values: OrderedDict[str, Any] = OrderedDict()   # LRU: key -> popular list | assortment | None
        self.items = 0                                        # product ids held in `values`

    def scope(self, cache: redis.Redis, channel: str | None, store_id: str | None) -> _Scope:
        chain = _chain(self.version, channel, store_id)
        assortment = _assortment_key(self.version, channel, store_id)
        found = self._fetch(cache, [key for key, _ in chain], [assortment] if assortment else [])
        carried = found[assortment] if assortment else None
        names, stand_in = self.names, self.stand_in
        return _Scope(names if names is not None else stand_in or {}, carried,
                      [(found[key], code) for key, code in chain], self.version, names is None and bool(stand_in))

    def _fetch(self, cache: redis.Redis, lists: list[str], sets: list[str]) -> dict[str, Any]:
        """The values of these keys, reading (in one round trip) only what is not held yet."""
        missing_lists = [key for key in lists if key not in self.values]
        missing_sets = [key for key in sets if key not in self.values]
        if self.names is None and self.stand_in is not None and not (self.reading and self.reading.is_alive()):
            self.reading = threading.Thread(target=self._read_names, args=(cache,), daemon=True,
                                            name=f"names-{self.version}")
            self.reading.start()
        if (self.names is None and self.stand_in is None) or missing_lists or missing_sets:
            self._load(cache, missing_lists, missing_sets)
        found = {}
        for key in lists + sets:
            self.values.move_to_end(key)
            found[key] = self.values[key]
        while self.items > self.max_items and self.values:
            self.items -= _size(self.values.popitem(last=False)[1])
        return found

    def _read_names(self, cache: redis.Redis) -> None:
        """This version's names, read aside in parts (HSCAN: one HGETALL's reply would hold the GIL while it is
        parsed, and with it the requests); on a Redis error the next request starts another read."""
        try:
            names = {k.decode(): v.decode() for k, v in cache.hscan_iter(keys.product_names(self.version),
                                                                         count=NAMES_PER_READ)}
        except redis.RedisError:
            return
        self.names = names

    def _load(self, cache: redis.Redis, lists: list[str], sets: list[str]) -> None:
        with_names = self.names is None and self.stand_in is None
        pipe = cache.pipeline(transaction=False)
        if with_names:
            pipe.hgetall(keys.product_names(self.version))
        for key in lists:
            pipe.get(key)
        for key in sets:
            pipe.smembers(key)
        replies = pipe.execute()
        if with_names:
            self.names = {k.decode(): v.decode() for k, v in replies.pop(0).items()}
        for key, raw in zip(lists, replies):
            self._hold(key, orjson.loads(raw) if raw else [])
        for key, members in zip(sets, replies[len(lists):]):
            self._hold(key, frozenset(m.decode() for m in members) or None)

    def _hold(self, key: str, value: list[list[Any]] | frozenset[str] | None) -> None:
        self.values[key] = value
        self.items += _size(value)


def _size(value: list[list[Any]] | frozenset[str] | None) -> int:
    """What a held value counts against `max_items` (an absent key counts one)."""
    return max(1, len(value or ()))


def _chain(version: str, channel: str | None, store_id: str | None) -> list[tuple[str, str]]:
    """The popular lists to top up from, in order, with their reason codes."""
    chain = [(keys.popular_at_store(store_id, version), "popular_at_store")] if store_id else []
    if channel:
        chain.append((keys.popular_in_channel(channel, version), "popular_in_channel"))
    return chain + [(keys.popular_overall(version), "popular")]


def _assortment_key(version: str, channel: str | None, store_id: str | None) -> str | None:
    """The store's assortment, when the channel sells only what the store carries."""
    if store_id is None or (channel is not None and channel not in STORE_CHANNELS):
        return None
    return keys.store_assortment(store_id, version)


def _filter(entries: list[list[Any]], carried: frozenset[str] | None,
            limit: int) -> tuple[list[list[Any]], list[str]]:
    if carried is None:
        return entries[:limit], []
    kept: list[list[Any]] = []
    dropped: list[str] = []
    for entry in entries:              # what the store lacks counts only while the list is not full
        if len(kept) == limit:
            break
        if entry[0] in carried:
            kept.append(entry)
        else:
            dropped.append(entry[0])
    return kept, dropped


def _fallback(scope: _Scope, limit: int, seen: set[str] | None = None) -> list[list[Any]]:
    """The first `limit` products of the popular lists in chain order that the scope sells, each once, none in
    `seen`; stops as soon as it has them (a kiosk tops up a few offers from lists of 100)."""
    found: list[list[Any]] = []
    seen = set(seen or ())
    carried = scope.carried
    for popular, code in scope.chain:
        for product_id, score in popular:
            if len(found) >= limit:
                return found
            if product_id in seen or (carried is not None and product_id not in carried):
                continue
            seen.add(product_id)
            found.append([product_id, score, code, None, None])
    return found


def _with_reasons(names: Mapping[str, str], entries: list[list[Any]]) -> list[Offer]:
    def name(product_id: str | None) -> str:
        return names.get(product_id or "") or f"product {product_id}"

    return [Offer(p, float(s), code, REASONS.get(code, code).format(product=name(p), source=name(src),
                                                                     days=days or "?"), src)
            for p, s, code, src, days in entries]
