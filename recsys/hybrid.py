"""The hybrid next-best-offer score: repurchase-due + collaborative discovery + popular at the store.

score = repurchase * (rate * (1 - due_strength + due_strength * due) + recency / (days since + 1))
      + collaborative * ALS score / customer's best ALS score
      + neighbours * item-kNN score / customer's best item-kNN score
      + popular * popularity at the home store / that store's best
      + peers_new (peers_bought for a product the customer buys too) * what the customer's nearest
        customers buy (their mean rate, recsys.peers)
rate is the decayed share of the customer's baskets holding the product (TIFU-KNN's weighting of baskets,
see history.BasketDecay); due is 1 when the days since the last purchase equal the customer's usual
interval for the product (or its category) and falls off on a log scale either side. A product bought
within `recent_days` is suppressed unless it is due or a staple (in two baskets or more and at least
`staple_share` of them). The component contributing most gives each offer its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from recsys.history import BasketDecay, PurchaseStats
from recsys.interactions import log_scaled
from recsys.model import Artifact, is_item_knn

COMPONENTS = ("repurchase", "collaborative", "neighbours", "popular", "peers")
REASON_CODES = ("repurchase_due", "buy_again", "similar_to_purchase", "bought_together",
                "popular_at_store", "popular", "no_consent", "customers_like_you")
DUE_WIDTH = 0.5  # standard deviation of log(days since / interval) in the due bell


@dataclass(frozen=True)
class HybridSettings:
    """Blend weights and business rules.

    The defaults are what `c360 precompute` and the worker serve unless `c360 train --tune-days` stored weights
    tuned for the retailer in its model (settings_for); `c360 evaluate` tunes the same way and prints them.
    """

    repurchase: float = 1.0
    collaborative: float = 0.3
    neighbours: float = 0.3
    popular: float = 0.1
    peers_new: float = 0.5      # customers like you, on products the customer never bought (discovery)
    peers_bought: float = 0.25  # customers like you, on products the customer buys too (reorders repurchases)
    due_strength: float = 0.5
    recency: float = 0.0
    recent_days: float = 3.0
    due_from: float = 0.75
    staple_share: float = 0.2
    basket_decay: BasketDecay = BasketDecay()
    list_size: int = 50


def settings_for(artifact: Artifact, settings: HybridSettings) -> HybridSettings:
    """`settings` with the blend weights tuned for the artifact's retailer (`c360 train --tune-days`), if any.

    A name "basket_decay.across" sets a field of settings.basket_decay. A weight this version does not know (a
    model saved by another version) is ignored.
    """
    for name, value in artifact.weights.items():
        settings = _with_field(settings, name.split("."), value)
    return settings


def _with_field(settings: Any, path: list[str], value: float) -> Any:
    """`settings` (a frozen dataclass) with the field at `path` replaced, unchanged if there is none."""
    head, rest = path[0], path[1:]
    if head not in {f.name for f in fields(settings)} or bool(rest) != is_dataclass(getattr(settings, head)):
        return settings
    inner = getattr(settings, head)
    return replace(settings, **{head: _with_field(inner, rest, value) if rest else value})


@dataclass
class Components:
    """The unweighted parts of the score: for (customer, product) pairs, all of one shape.

    candidates.find gives them for each customer's candidates (1-D, aligned with its rows and cols); the tests
    build them over the whole catalogue (batch, products) as the reference the candidates must meet.
    """

    rate: np.ndarray
    due: np.ndarray
    recency: np.ndarray      # 1 / (days since the last purchase + 1), 0 never bought
    collaborative: np.ndarray
    neighbours: np.ndarray
    popular: np.ndarray
    peers: np.ndarray        # mean rate of the customer's nearest customers (same scale as rate)
    suppressed: np.ndarray   # bool


def personal_total(parts: Components, settings: HybridSettings) -> np.ndarray:
    """blend(...)'s total when every customer allows personalisation, without the leading component; any shape.

    Several times cheaper than blend (no stacked copy of the parts): tuning grids score it thousands of times.
    """
    due = settings.due_strength
    total = parts.rate * settings.repurchase if not due else \
        settings.repurchase * parts.rate * (1 - due + due * parts.due)
    for weight, part in ((settings.repurchase * settings.recency, parts.recency),
                         (settings.collaborative, parts.collaborative), (settings.neighbours, parts.neighbours),
                         (settings.popular, parts.popular)):
        if weight:
            total += weight * part
    if settings.peers_new or settings.peers_bought:
        total += np.where(parts.rate > 0, settings.peers_bought, settings.peers_new) * parts.peers
    total[parts.suppressed] = -np.inf
    return total.astype(np.float32, copy=False)


def blend(rate: np.ndarray, due: np.ndarray, recency: np.ndarray, collaborative: np.ndarray,
          neighbours: np.ndarray, popular: np.ndarray, peers: np.ndarray, refused: np.ndarray,
          settings: HybridSettings) -> tuple[np.ndarray, np.ndarray]:
    """The score formula, elementwise over any shape: (total float32, leading component int8)."""
    stacked = np.stack([
        settings.repurchase * (rate * (1 - settings.due_strength + settings.due_strength * due)
                               + settings.recency * recency),
        settings.collaborative * collaborative, settings.neighbours * neighbours, settings.popular * popular,
        np.where(rate > 0, settings.peers_bought, settings.peers_new) * peers])
    personal = [0, 1, 2, 4]
    stacked[personal] = np.where(refused, 0.0, stacked[personal])
    stacked[3] = np.where(refused, popular + 1e-6, stacked[3])
    return stacked.sum(axis=0).astype(np.float32), stacked.argmax(axis=0).astype(np.int8)


def due_factor(stats: PurchaseStats) -> csr_matrix:
    """1 when the usual interval has just passed, falling off on a log scale; 0.5 where unknown."""
    due = stats.rate.copy()
    interval = stats.interval.data
    ratio = np.maximum(stats.last.data - 1.0, 0.5) / np.maximum(interval, 1e-9)
    bell = np.exp(-np.log(ratio) ** 2 / (2 * DUE_WIDTH ** 2))
    due.data = np.where(interval > 0, bell, 0.5).astype(np.float32)
    return due


def suppressed_recent(stats: PurchaseStats, settings: HybridSettings) -> csr_matrix:
    """Bought within recent_days, not yet due and no staple (csr bool, same shape as stats)."""
    flags = stats.last.copy()
    flags.data = recently_bought(stats.last.data, stats.interval.data, stats.baskets.data, stats.rate.data,
                                 settings).astype(np.float32)
    flags.eliminate_zeros()
    return flags.astype(bool)


def recently_bought(last: np.ndarray, interval: np.ndarray, baskets: np.ndarray, rate: np.ndarray,
                    settings: HybridSettings) -> np.ndarray:
    """Elementwise: bought within recent_days, not yet due and no staple (last: days since + 1, 0 = never).

    A staple (in two baskets or more and at least `staple_share` of them, decayed) is on most of the
    customer's trips, so a purchase two days ago says nothing against offering it again.
    """
    since = last - 1.0
    due = (interval > 0) & (since >= settings.due_from * interval)
    staple = (baskets >= 2) & (rate >= settings.staple_share)
    return (last > 0) & (since < settings.recent_days) & ~due & ~staple


def collaborative(artifact: Artifact, user_items: csr_matrix) -> np.ndarray:
    """Model scores (batch, products): ALS recomputes each customer's factors from `user_items`."""
    model = artifact.model
    if is_item_knn(model):
        return neighbours(artifact, user_items)
    if hasattr(model, "recalculate_user") and type(model).__name__ == "AlternatingLeastSquares":
        factors = model.recalculate_user(np.arange(user_items.shape[0]),
                                         log_scaled(user_items, artifact.settings.alpha))
    else:
        factors = _bpr_factors(artifact, user_items)
    return np.asarray(factors @ model.item_factors.T, dtype=np.float32)


def _bpr_factors(artifact: Artifact, user_items: csr_matrix) -> np.ndarray:
    """BPR cannot recompute a customer: average the item factors of what they interacted with."""
    weights = user_items.multiply(1.0 / np.maximum(user_items.sum(axis=1), 1e-9)).tocsr()
    return np.asarray(weights @ artifact.model.item_factors)


def neighbours(artifact: Artifact, user_items: csr_matrix) -> np.ndarray:
    """Item-kNN scores (batch, products): similarity to everything the customer interacted with."""
    binary = (user_items > 0).astype(np.float32)
    return np.asarray((binary @ artifact.neighbours).toarray(), dtype=np.float32)


def popular_at(artifact: Artifact, home_stores: np.ndarray) -> np.ndarray:
    """Popularity (batch, products) at each customer's home store, overall where unknown; max 1."""
    overall = artifact.popularity / max(float(artifact.popularity.max(initial=0.0)), 1e-9)
    result = np.tile(overall.astype(np.float32), (len(home_stores), 1))
    known = np.flatnonzero(home_stores >= 0)
    if len(known):
        at_store = _normalised(artifact.store_popularity[home_stores[known]].toarray())
        has_data = at_store.max(axis=1) > 0
        result[known[has_data]] = at_store[has_data]
    return result


def _normalised(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its maximum; negatives become 0."""
    scores = np.maximum(scores, 0.0)
    top = scores.max(axis=1, keepdims=True)
    return np.divide(scores, top, out=np.zeros_like(scores), where=top > 0)


def top(scores: np.ndarray, n: int) -> np.ndarray:
    """Column indices of each row's n best finite scores, best first, -1 padded; shape (batch, n)."""
    n_cols = scores.shape[1]
    n_eff = min(n, n_cols)
    part = np.argpartition(-scores, n_eff - 1, axis=1)[:, :n_eff] if n_eff < n_cols else \
        np.tile(np.arange(n_cols), (scores.shape[0], 1))
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    best[~np.isfinite(np.take_along_axis(picked, order, axis=1))] = -1
    if n_eff < n:
        best = np.hstack([best, -np.ones((scores.shape[0], n - n_eff), dtype=best.dtype)])
    return best


def reason_codes(leading: np.ndarray, due: np.ndarray, owned: np.ndarray, home_known: np.ndarray,
                 personalise: np.ndarray) -> np.ndarray:
    """Reason code index (into REASON_CODES) of each offer, from aligned per-offer arrays.

    A product the customer has bought (`owned`) is never "similar to" one of their purchases: it is
    bought again.
    """
    codes = np.where((leading == 0) | owned, np.where(due > 0.5, 0, 1),
                     np.where(leading == 1, 2, np.where(leading == 2, 3, np.where(
                         leading == 4, 7, np.where(home_known, 4, 5)))))
    codes[~personalise] = 6
    return codes.astype(np.int8)
