"""Interactions coded as integer arrays, and each customer's purchase statistics, in plain numpy.

Numpy rather than pandas because the worker runs this for one customer per event, where pandas'
fixed cost per operation (about a millisecond) would dominate the latency budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from recsys.interactions import DAY_S, IdMaps, InteractionSettings, index_in

KINDS = ("purchase", "return", "view", "cart", "wishlist")


@dataclass(frozen=True)
class Coded:
    """Interactions as aligned arrays: row (customer index), col (product index), basket, kind, at."""

    row: np.ndarray      # int32
    col: np.ndarray      # int32
    basket: np.ndarray   # int64, unique per order or event
    kind: np.ndarray     # int8, index into KINDS
    at: np.ndarray       # int64 epoch seconds

    def select(self, keep: np.ndarray) -> Coded:
        return Coded(self.row[keep], self.col[keep], self.basket[keep], self.kind[keep], self.at[keep])


def encode(table: pd.DataFrame, ids: IdMaps) -> Coded:
    """Code a table against id maps; rows whose customer or product is not in `ids` are dropped."""
    row = index_in(table["customer_id"], ids.customer_ids).astype(np.int32)
    col = index_in(table["product_id"], ids.product_ids).astype(np.int32)
    basket = pd.factorize(table["basket_id"])[0].astype(np.int64)
    kind = index_in(table["kind"], list(KINDS)).astype(np.int8)
    at = table["at"].to_numpy(dtype=np.int64)
    coded = Coded(row, col, canonical_baskets(row, col, basket, at), kind, at)
    return coded.select((row >= 0) & (col >= 0) & (kind >= 0))


def canonical_baskets(row: np.ndarray, col: np.ndarray, basket: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Basket codes (0..n-1) renumbered by customer, time, then content (the lowest, highest and sum of the product
    codes, the number of lines), so that nothing computed from them depends on the order the rows came in.

    Baskets placed at the same moment are ordered by their codes wherever time cannot tell them apart (the basket
    decay's places, for one): numbered as they arrived, the same interactions read in another order gave other
    tuned weights (Online Retail, where a customer's invoices often share a minute).
    """
    if not len(basket):
        return basket
    order = np.argsort(basket, kind="stable")
    ordered = basket[order]
    starts = np.flatnonzero(run_starts(ordered))
    products = col[order].astype(np.int64)
    lines = np.diff(np.append(starts, len(ordered)))
    rank = np.lexsort((lines, np.add.reduceat(products, starts), np.maximum.reduceat(products, starts),
                       np.minimum.reduceat(products, starts), np.minimum.reduceat(at[order], starts),
                       np.minimum.reduceat(row[order], starts)))
    code = np.empty(len(starts), dtype=np.int64)
    code[rank] = np.arange(len(starts))
    return code[np.searchsorted(ordered[starts], basket)]


def encode_one(rows: list[list[Any]], product_index: dict[str, int]) -> Coded:
    """Code one customer's interaction rows (graph.interactions.RECORD_FIELDS order: product_id, basket_id, at,
    kind, store_id) as row 0; unknown products and kinds are dropped."""
    kinds = {k: i for i, k in enumerate(KINDS)}
    kept = [r for r in rows if r[0] in product_index and r[3] in kinds]
    baskets: dict[object, int] = {}
    row = np.zeros(len(kept), dtype=np.int32)
    col = np.array([product_index[r[0]] for r in kept], dtype=np.int32)
    at = np.array([r[2] for r in kept], dtype=np.int64)
    basket = np.array([baskets.setdefault(r[1], len(baskets)) for r in kept], dtype=np.int64)
    return Coded(row, col, canonical_baskets(row, col, basket, at), np.array([kinds[r[3]] for r in kept],
                                                                             dtype=np.int8), at)


def weighted(coded: Coded, shape: tuple[int, int], settings: InteractionSettings, now: int) -> csr_matrix:
    """Customer x product weights (see InteractionSettings); shape (customers, products), float32 >= 0."""
    once = _first_per(coded, (coded.row, coded.col, coded.basket, coded.kind))
    kind_weight = np.array([settings.weights.get(k, 0.0) for k in KINDS])
    weight = kind_weight[once.kind]
    if settings.half_life_days > 0:
        weight = weight * np.exp2(-np.maximum(now - once.at, 0) / DAY_S / settings.half_life_days)
    matrix = csr_matrix((weight, (once.row, once.col)), shape=shape, dtype=np.float64)
    matrix.sum_duplicates()
    matrix.data = np.maximum(matrix.data, 0.0)
    matrix.eliminate_zeros()
    return matrix.astype(np.float32)


@dataclass(frozen=True)
class BasketDecay:
    """How much each of a customer's baskets counts, as in TIFU-KNN (Hu et al., SIGIR 2020).

    Baskets newest first, in groups of `group`: the n-th group counts `across` ** n, and inside a group the
    k-th basket `within` ** k. A customer's weights are scaled to sum to 1, so a product's rate is the
    decayed share of the customer's baskets holding it, however often or rarely they shop.
    """

    group: int = 7
    within: float = 0.9
    across: float = 0.5


@dataclass(frozen=True)
class PurchaseStats:
    """Per customer x product purchase statistics, all csr (customers, products) with the same pattern.

    baskets: number of baskets containing the product; last: days since the last one (+1, so that 0
    means never); interval: mean days between purchases of the product, else of its category (0 = unknown);
    rate: the decayed share of the customer's baskets that contain the product (see BasketDecay).
    """

    baskets: csr_matrix
    last: csr_matrix
    interval: csr_matrix
    rate: csr_matrix


@dataclass(frozen=True)
class PurchaseHistory:
    """PurchaseStats before the clock is read: `last_at` holds each product's last purchase (epoch seconds,
    aligned with the matrices' stored values) where PurchaseStats has the days since it. Never changed once made,
    so one customer's can serve every event until their purchases change (recsys.realtime)."""

    baskets: csr_matrix
    interval: csr_matrix
    rate: csr_matrix
    last_at: np.ndarray

    def at(self, now: int) -> PurchaseStats:
        """The statistics at time `now`."""
        since = (now - self.last_at) / DAY_S + 1.0
        last = csr_matrix((since.astype(np.float32), self.baskets.indices.copy(), self.baskets.indptr.copy()),
                          shape=self.baskets.shape)
        return PurchaseStats(self.baskets, last, self.interval, self.rate)


def purchase_stats(coded: Coded, shape: tuple[int, int], categories: np.ndarray, now: int,
                   decay: BasketDecay = BasketDecay()) -> PurchaseStats:
    """Purchase statistics of every customer at time `now` (see PurchaseStats)."""
    return purchase_history(coded, shape, categories, decay).at(now)


def purchase_history(coded: Coded, shape: tuple[int, int], categories: np.ndarray,
                     decay: BasketDecay = BasketDecay()) -> PurchaseHistory:
    """Every customer's purchase statistics but the days since each product's last purchase (see PurchaseHistory)."""
    bought = coded.select(coded.kind == 0)
    per_line = _first_per(bought, (bought.row, bought.col, bought.basket))
    start, count, first, last, rate = _group(per_line, (per_line.row, per_line.col), _basket_weights(per_line, decay))
    row, col = per_line.row[start], per_line.col[start]
    interval = np.where(count > 1, (last - first) / DAY_S / np.maximum(count - 1, 1), 0.0)
    interval = _category_fallback(per_line, row, col, interval, categories)

    indptr = np.searchsorted(row, np.arange(shape[0] + 1))   # groups come sorted by (row, col), unique

    def make(values: np.ndarray) -> csr_matrix:
        return csr_matrix((values.astype(np.float32), col.astype(np.int32), indptr.astype(np.int32)), shape=shape)

    return PurchaseHistory(make(count.astype(np.float32)), make(interval), make(rate), last)


def _basket_weights(lines: Coded, decay: BasketDecay) -> np.ndarray:
    """Each line's basket weight (see BasketDecay); one customer's baskets sum to 1."""
    if not len(lines.at):
        return np.zeros(0)
    baskets = _first_per(lines, (lines.row, lines.basket))     # sorted by (row, basket)
    newest_first = np.lexsort((baskets.basket, -baskets.at, baskets.row))
    rows = baskets.row[newest_first]
    place = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    weight = np.empty(len(rows))
    weight[newest_first] = decay.across ** (place // decay.group) * decay.within ** (place % decay.group)
    weight /= np.bincount(baskets.row, weights=weight)[baskets.row]
    width = np.int64(int(lines.basket.max()) + 1)
    keys = baskets.row.astype(np.int64) * width + baskets.basket
    return weight[np.searchsorted(keys, lines.row.astype(np.int64) * width + lines.basket)]


def _category_fallback(lines: Coded, row: np.ndarray, col: np.ndarray, interval: np.ndarray,
                       categories: np.ndarray) -> np.ndarray:
    """Where a product was bought once, use the customer's interval within its category."""
    category = categories[lines.col]
    known = category >= 0
    if not known.any():
        return interval
    in_category = lines.select(known)
    cat = category[known]
    picked = _earliest((in_category.row, cat, in_category.basket), in_category.at)
    sub, cats = in_category.select(picked), cat[picked]
    start, count, first, last, _ = _group(sub, (sub.row, cats), np.ones(len(sub.row)))
    cat_interval = np.where(count > 1, (last - first) / DAY_S / np.maximum(count - 1, 1), 0.0)
    width = int(categories.max()) + 1
    group_keys = sub.row[start].astype(np.int64) * width + cats[start]
    wanted = row.astype(np.int64) * width + categories[col]
    found = np.clip(np.searchsorted(group_keys, wanted), 0, max(len(group_keys) - 1, 0))
    usable = (interval == 0) & (categories[col] >= 0) & (len(group_keys) > 0)
    usable &= group_keys[found] == wanted if len(group_keys) else False
    return np.where(usable, cat_interval[found] if len(group_keys) else 0.0, interval)


def _order(keys: tuple[np.ndarray, ...], at: np.ndarray) -> np.ndarray:
    """Positions sorted by the keys (the first varying slowest), then by time.

    Non-negative integer keys that fit together in 63 bits are packed into one int64 and sorted stably: the
    rows come grouped by customer, which a stable sort exploits, and where the keys hold a basket the time is
    the same within each key, so the positions need no second pass by time (checked; lexsort otherwise).
    """
    bits = [int(k.max()).bit_length() if len(k) else 0 for k in keys]
    if not (len(at) and sum(bits) <= 63 and all(int(k.min()) >= 0 for k in keys)):
        return np.lexsort((at,) + tuple(reversed(keys)))
    packed = np.zeros(len(at), np.int64)
    for key, width in zip(keys, bits):
        packed = (packed << width) | key.astype(np.int64)
    order = np.argsort(packed, kind="stable")
    ordered, times = packed[order], at[order]
    if ((ordered[1:] != ordered[:-1]) | (times[1:] >= times[:-1])).all():
        return order
    return np.lexsort((at, packed))


def _first_per(coded: Coded, keys: tuple[np.ndarray, ...]) -> Coded:
    """One row per distinct key (the earliest), sorted by key then time."""
    return coded.select(_earliest(keys, coded.at))


def _earliest(keys: tuple[np.ndarray, ...], at: np.ndarray) -> np.ndarray:
    """Index of the earliest row of each distinct key, in key order."""
    order = _order(keys, at)
    return order[run_starts(*(k[order] for k in keys))]


def run_starts(*keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys begins, in arrays sorted by them (a boolean mask; the first entry begins one)."""
    starts = np.zeros(len(keys[0]), dtype=bool)
    starts[:1] = True
    for key in keys:
        starts[1:] |= key[1:] != key[:-1]
    return starts


def _group(coded: Coded, keys: tuple[np.ndarray, ...], weights: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Groups of consecutive equal keys (input sorted by key, time): start, count, first, last, sum(weights)."""
    n = len(coded.at)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty, np.zeros(0)
    start = np.flatnonzero(run_starts(*keys))
    count = np.diff(np.append(start, n))
    return (start, count, np.minimum.reduceat(coded.at, start), np.maximum.reduceat(coded.at, start),
            np.add.reduceat(weights, start))
