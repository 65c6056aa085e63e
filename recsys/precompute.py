"""Precompute: every customer's offer list, similar products and popular lists, as a new version."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import redis
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits

from graph.driver import Graph, chunks
from graph.recsys_reads import customer_profiles, products_of_retailer, store_assortments
from recsys import candidates, hybrid, interactions, keys, offers, sort_keys
from recsys.history import PurchaseStats, encode, purchase_stats, weighted
from recsys.interactions import DAY_S, IdMaps
from recsys.model import Artifact
from recsys.training import home_stores

BATCH = 1_000   # customers ranked and written together
POPULAR_SIZE = 100
SIMILAR_SIZE = 20
SUPPRESSED_SHOWN = 5
Progress = Callable[[int], None]


@dataclass
class Summary:
    """What a precompute run wrote."""

    version: str
    customers: int = 0
    products: int = 0
    stores: int = 0
    read_s: float = 0.0
    write_s: float = 0.0        # customers' lists: rank + write
    catalogue_s: float = 0.0    # similar products, popular lists, names, assortments, identity map
    identities: int = 0
    retailers: list[str] = field(default_factory=list)
    ranking_threads: int = 1    # the most any retailer's lists used

    @property
    def customers_per_s(self) -> float:
        """Customers' lists ranked and written per second (reads and the catalogue excluded)."""
        return self.customers / self.write_s if self.write_s else 0.0


@dataclass
class Customers:
    """One retailer's customers as matrix rows: current weights, purchase stats, peers, store, consent."""

    ids: np.ndarray
    user_items: csr_matrix
    stats: PurchaseStats
    peers: csr_matrix        # what customers like each one buy (Artifact.peers_of)
    home: np.ndarray
    personalise: np.ndarray

    def rows(self, part: slice) -> Customers:
        stats = PurchaseStats(*(getattr(self.stats, f)[part] for f in ("baskets", "last", "interval", "rate")))
        return Customers(self.ids[part], self.user_items[part], stats, self.peers[part], self.home[part],
                         self.personalise[part])


def precompute(graph: Graph, cache: redis.Redis, artifacts: dict[str, Artifact], version: str, now: datetime,
               settings: hybrid.HybridSettings = hybrid.HybridSettings(), progress: Progress = lambda _: None,
               total: Callable[[int], None] = lambda _: None, workers: int = 1, batch: int = BATCH) -> Summary:
    """Write a complete new version for every retailer in `artifacts`, then switch to it.

    Lists are ranked in batches of `batch` customers by up to `workers` threads (about one per core, see
    Ranking.batches) while this thread writes them. A failure deletes what was written and leaves the current
    version served.
    """
    summary = Summary(version)
    offers.begin(cache, version)
    try:
        for retailer_id, artifact in artifacts.items():
            with interactions.collector_paused():
                _precompute_retailer(graph, cache, retailer_id, artifact, version, now,
                                     hybrid.settings_for(artifact, settings), summary,
                                     progress, total, Ranking(workers, batch))
    except BaseException:
        offers.abandon(cache, version)
        raise
    replaced = offers.versions(cache).get("previous")
    offers.switch(cache, version)
    if replaced and replaced != version:
        offers.abandon(cache, replaced)
    return summary


def _precompute_retailer(graph: Graph, cache: redis.Redis, retailer_id: str, artifact: Artifact, version: str,
                         now: datetime, settings: hybrid.HybridSettings, summary: Summary, progress: Progress,
                         total: Callable[[int], None], ranking: Ranking) -> None:
    started = time.perf_counter()
    epoch = int(now.timestamp())
    table = interactions.from_graph(graph, retailer_id, now)
    profile_rows = customer_profiles(graph, retailer_id)
    profiles = pd.DataFrame(profile_rows, columns=["customer_id", "home_store_id", "personalisation"])
    catalogue = products_of_retailer(graph, retailer_id)
    assortments = store_assortments(graph, retailer_id)
    customers = customers_of(table, profiles, artifact, epoch, settings)
    summary.read_s += time.perf_counter() - started
    total(len(customers.ids))
    summary.ranking_threads = max(summary.ranking_threads, ranking.threads(len(customers.ids)))
    started = time.perf_counter()
    computed_at = now.isoformat()
    for customer_ids, lists in ranking.batches(artifact, customers, settings):
        pipe = cache.pipeline(transaction=False)
        for customer_id, (entries, suppressed) in zip(customer_ids, lists):
            pipe.set(keys.customer_offers(customer_id, version),
                     offers.encode_list(artifact.version, computed_at, "model", entries, suppressed))
        pipe.execute()
        progress(len(customer_ids))
    summary.write_s += time.perf_counter() - started
    started = time.perf_counter()
    _write_catalogue(cache, version, artifact, table, catalogue, assortments)
    summary.identities += _write_identities(cache, version, profile_rows)
    summary.catalogue_s += time.perf_counter() - started
    summary.customers += len(customers.ids)
    summary.products += len(catalogue)
    summary.stores += len(artifact.store_ids)
    summary.retailers.append(retailer_id)


Offer = tuple[object, ...]   # (product_id, score, reason_code, source_product_id|None, days|None)
Lists = list[tuple[list[Offer], list[list[object]]]]
REASON_NAMES = np.array(hybrid.REASON_CODES, dtype=object)


@dataclass(frozen=True)
class Ranking:
    """How lists are ranked: by up to `workers` threads, at most `batch` customers at a time."""

    workers: int = 1
    batch: int = BATCH

    def size(self, customers: int) -> int:
        """Customers per batch: at most `batch`, in as few rounds of one batch per thread as that allows, and even,
        so that no thread idles through a short last round (2,469 customers on two threads: four batches of 618,
        two rounds, where batches of 1,000 left one thread alone with the last 469)."""
        rounds = max(1, -(-customers // (self.workers * self.batch)))
        return max(1, -(-customers // (rounds * self.workers)))

    def threads(self, customers: int) -> int:
        """Ranking threads for this many customers: at most `workers`, no more than there are batches."""
        return max(1, min(self.workers, -(-customers // self.size(customers))))

    def batches(self, artifact: Artifact, customers: Customers, settings: hybrid.HybridSettings
                ) -> Iterator[tuple[list[str], Lists]]:
        """(customer ids, their lists) batch by batch, in order.

        Ranking is numpy work that mostly runs without the GIL (sorts, partitions, BLAS, implicit's solver), so
        threads sharing the one model in memory rank batches side by side, each with one BLAS thread.
        """
        size = self.size(len(customers.ids))
        parts = (customers.rows(slice(start, start + size)) for start in range(0, len(customers.ids), size))
        threads = self.threads(len(customers.ids))
        if threads == 1:
            for part in parts:
                yield part.ids.tolist(), offer_lists(artifact, part, settings)
            return
        pool = ThreadPoolExecutor(threads, thread_name_prefix="ranking")
        try:
            with threadpool_limits(1):
                waiting: deque[tuple[list[str], Future[Lists]]] = deque()
                for part in parts:
                    waiting.append((part.ids.tolist(), pool.submit(offer_lists, artifact, part, settings)))
                    if len(waiting) > 2 * threads:     # bounded: ranked batches wait in memory to be written
                        ids, lists = waiting.popleft()
                        yield ids, lists.result()
                while waiting:
                    ids, lists = waiting.popleft()
                    yield ids, lists.result()
        finally:
            pool.shutdown(cancel_futures=True)


def customers_of(table: pd.DataFrame, profiles: pd.DataFrame, artifact: Artifact, now: int,
                 settings: hybrid.HybridSettings) -> Customers:
    """Every profile (and every customer seen in the table) as rows against the artifact's products."""
    ids = np.array(sorted(set(profiles["customer_id"].tolist()) | set(table["customer_id"].unique().tolist())),
                   dtype=object)
    coded = encode(table, IdMaps(ids, artifact.ids.product_ids))
    shape = (len(ids), len(artifact.ids.product_ids))
    stats = purchase_stats(coded, shape, artifact.categories, now, settings.basket_decay)
    home = home_stores(table, ids, artifact.store_ids)
    by_id = profiles.set_index("customer_id")
    store_index = {s: i for i, s in enumerate(artifact.store_ids.tolist())}
    declared = by_id["home_store_id"].reindex(ids).map(lambda s: store_index.get(s, -1) if s else -1)
    declared_index = declared.fillna(-1).to_numpy(dtype=np.int64)
    home = np.where(declared_index >= 0, declared_index, home)
    refused = by_id["personalisation"].reindex(ids).map(lambda g: g is False).to_numpy(dtype=bool)
    return Customers(ids, weighted(coded, shape, artifact.interaction_settings, now), stats,
                     artifact.peers_of(ids), home, ~refused)


def offer_lists(artifact: Artifact, customers: Customers, settings: hybrid.HybridSettings) -> Lists:
    """Each customer's offers, as tuples (product_id, score, reason_code, source_product_id, days) since they are
    only encoded (a million five-item lists took 0.7 s to build, as many tuples 0.1 s), and suppressions."""
    ranked = candidates.rank(artifact, customers.user_items, customers.stats, customers.peers, customers.home,
                             customers.personalise, settings)
    rows, cols = ranked.rows, ranked.cols
    codes = hybrid.reason_codes(ranked.leading, ranked.due, ranked.owned, customers.home[rows] >= 0,
                                customers.personalise[rows])
    sources = candidates.sources(artifact, customers.user_items, rows, cols, codes)
    interval = candidates.lookup(customers.stats.interval, rows, cols)
    product_ids = artifact.ids.product_ids
    source_ids = np.where(sources >= 0, product_ids[np.maximum(sources, 0)], None)
    days = np.where(codes == 0, np.round(interval).astype(np.int64).astype(object), None)
    # rounded as float64: a float32 rounded to 5 decimals still prints as 0.7909799814224243, 11 bytes more an offer
    scores = np.round(ranked.total.astype(np.float64), 5)
    entries = list(zip(product_ids[cols].tolist(), scores.tolist(), REASON_NAMES[codes].tolist(), source_ids.tolist(),
                       days.tolist()))
    bounds = np.searchsorted(rows, np.arange(len(customers.ids) + 1)).tolist()   # ranked rows come sorted
    recent = hybrid.suppressed_recent(customers.stats, settings)
    return [(entries[bounds[r]:bounds[r + 1]], _suppressed(artifact, customers, recent, r))
            for r in range(len(customers.ids))]


def _suppressed(artifact: Artifact, customers: Customers, recent: csr_matrix, row: int) -> list[list[object]]:
    """Up to SUPPRESSED_SHOWN products held back by the recent-purchase rule, with why."""
    if not customers.personalise[row]:
        return []
    held = recent.indices[recent.indptr[row]:recent.indptr[row + 1]][:SUPPRESSED_SHOWN]
    if not len(held):
        return []
    last = customers.stats.last
    mine = slice(last.indptr[row], last.indptr[row + 1])
    days = dict(zip(last.indices[mine].tolist(), last.data[mine].tolist()))
    return [[artifact.ids.product_ids[c], f"bought {_days_ago(days[c] - 1)} and not due yet"] for c in held.tolist()]


def _days_ago(days: float) -> str:
    whole = int(days)
    return "today" if whole == 0 else "yesterday" if whole == 1 else f"{whole} days ago"


def _write_catalogue(cache: redis.Redis, version: str, artifact: Artifact, table: pd.DataFrame,
                     catalogue: list[dict[str, object]], assortments: dict[str, list[str]]) -> None:
    """Similar products, popular lists, product names and store assortments of one retailer."""
    product_ids = artifact.ids.product_ids
    pipe = cache.pipeline(transaction=False)
    for written, (product_id, similar) in enumerate(_similar_lists(artifact.neighbours.tocsr(), product_ids), 1):
        pipe.set(keys.similar_products(product_id, version), offers.encode_popular(similar))
        if written % 5_000 == 0:
            pipe.execute()
    pipe.set(keys.popular_overall(version), offers.encode_popular(_top_of(artifact.popularity, product_ids)))
    stores = artifact.store_popularity.tocsr()
    stores = stores if stores.has_sorted_indices else stores.sorted_indices()
    for index, store_id in enumerate(artifact.store_ids.tolist()):
        sold = slice(stores.indptr[index], stores.indptr[index + 1])
        pipe.set(keys.popular_at_store(store_id, version),
                 offers.encode_popular(_top_of(stores.data[sold], product_ids, stores.indices[sold])))
    for channel_id, counts in _channel_popularity(table, product_ids).items():
        pipe.set(keys.popular_in_channel(channel_id, version), offers.encode_popular(_top_of(counts, product_ids)))
    for rows in chunks(catalogue, 5_000):
        names = {r["product_id"]: r["name"] for r in rows if r.get("name")}
        if names:
            pipe.hset(keys.product_names(version), mapping=names)
    for store_id, carried in assortments.items():
        for part in chunks(carried, 5_000):
            pipe.sadd(keys.store_assortment(store_id, version), *part)
    pipe.execute()


def _write_identities(cache: redis.Redis, version: str, profiles: list[dict[str, Any]]) -> int:
    """The version's identity map (card, account ... -> customer), so a scan needs no graph read; how many."""
    written = 0
    for part in chunks(profiles, BATCH * 5):
        pipe = cache.pipeline(transaction=False)
        for profile in part:
            offers.hold_identities(pipe, version, profile["customer_id"], profile["identities"])
            written += len(profile["identities"])
        pipe.execute()
    return written


Similar = Iterator[tuple[str, float]]


def _similar_lists(neighbours: csr_matrix, product_ids: np.ndarray) -> Iterator[tuple[str, Similar]]:
    """Each product's SIMILAR_SIZE most similar products, best first, scores to 6 decimals (products without
    any skipped)."""
    indptr, counts = neighbours.indptr, np.diff(neighbours.indptr)
    if not neighbours.nnz:
        return
    rows = np.repeat(np.arange(len(counts)), counts)
    place = np.arange(neighbours.nnz)
    place -= indptr[rows]
    # one row of keys per product: score descending, then stored order (a stable sort's tie-break)
    keys = np.full((len(counts), int(counts.max())), np.iinfo(np.int64).max)
    entry = sort_keys.descending(neighbours.data)
    entry <<= 32
    entry |= place
    keys[rows, place] = entry
    size = min(SIMILAR_SIZE, keys.shape[1])
    best = np.sort(np.partition(keys, size - 1, axis=1)[:, :size], axis=1)
    kept = best != np.iinfo(np.int64).max
    picked = (indptr[:-1, None] + (best & 0xFFFFFFFF))[kept]
    names = product_ids[neighbours.indices[picked]].tolist()
    scores = np.round(neighbours.data[picked].astype(np.float64), 6).tolist()
    bounds = np.concatenate(([0], np.cumsum(kept.sum(axis=1)))).tolist()
    for row in np.flatnonzero(counts).tolist():
        start, end = bounds[row], bounds[row + 1]
        yield product_ids[row], zip(names[start:end], scores[start:end])


def _top_of(scores: np.ndarray, product_ids: np.ndarray, columns: np.ndarray | None = None) -> list[tuple[str, float]]:
    """The POPULAR_SIZE best positive scores, best first, ties to the lower product; `scores` are per product, or a
    sparse row's values with their (sorted) `columns`."""
    order = np.argsort(-scores, kind="stable")[:POPULAR_SIZE]
    products = order if columns is None else columns[order]
    return [(product_ids[p], round(float(scores[i]), 6))
            for p, i in zip(products.tolist(), order.tolist()) if scores[i] > 0]


def _channel_popularity(table: pd.DataFrame, product_ids: np.ndarray) -> dict[str, np.ndarray]:
    bought = table[(table["kind"] == "purchase") & table["channel_id"].notna()]
    if bought.empty:
        return {}
    latest = int(bought["at"].max())
    weight = np.exp2(-(latest - bought["at"].to_numpy(dtype=np.int64)) / DAY_S / 28.0)
    cols = interactions.index_in(bought["product_id"], product_ids)
    result = {}
    for channel_id in bought["channel_id"].unique().tolist():
        mine = (bought["channel_id"] == channel_id).to_numpy() & (cols >= 0)
        result[channel_id] = np.bincount(cols[mine], weights=weight[mine], minlength=len(product_ids))
    return result
