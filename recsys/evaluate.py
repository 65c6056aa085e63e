"""Offline evaluation: next-basket and next-period protocols, ranking metrics at k, all / new items.

For each customer known before the cut: the truth is their first basket after the cut (next basket; baskets
placed at the same moment count as one) or everything they bought in `period_days` after it (next period).
"New items" keeps only products the customer never bought before the cut, in the truth and in every method's
list alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix, vstack
from scipy.stats import bootstrap

from recsys.baselines import Fold, Listed, Scorer
from recsys.candidates import lookup
from recsys.hybrid import top
from recsys.interactions import index_in

METRICS = ("precision", "recall", "ndcg", "map", "hit_rate", "coverage")
PROTOCOLS = ("next_basket", "next_period")
DAY_S = 86_400
P = TypeVar("P")


@dataclass(frozen=True)
class Truth:
    """What each evaluated customer bought after the cut."""

    rows: np.ndarray        # (customers,) row index into the fold's customer ids
    items: csr_matrix       # (customers, products) 1 where bought; products unseen before the cut dropped
    sizes: np.ndarray       # (customers,) number of distinct products bought, unseen ones included
    history: csr_matrix     # (customers, products) 1 where bought before the cut


def truth(table: pd.DataFrame, fold: Fold, protocol: str, period_days: int, new_only: bool) -> Truth:
    """The truth of one protocol; customers with nothing to find are left out."""
    after = table[(table["at"] >= fold.cut) & (table["at"] < fold.cut + period_days * DAY_S)
                  & (table["kind"] == "purchase")]
    if protocol == "next_basket":   # every basket of the first moment: two receipts of one visit are one basket
        after = after[after["at"] == after.groupby("customer_id")["at"].transform("min")]
    after = after.drop_duplicates(["customer_id", "product_id"])
    rows = index_in(after["customer_id"], fold.ids.customer_ids)
    cols = index_in(after["product_id"], fold.ids.product_ids)
    history = fold.stats.baskets.copy()
    history.data = np.ones_like(history.data)
    known = rows >= 0
    rows, cols = rows[known], cols[known]
    if new_only:
        bought = np.asarray(history[rows, np.maximum(cols, 0)]).ravel() > 0 if len(rows) else np.zeros(0, bool)
        keep = (cols < 0) | ~bought
        rows, cols = rows[keep], cols[keep]
    n_rows = len(fold.ids.customer_ids)
    sizes = np.bincount(rows, minlength=n_rows)
    seen = cols >= 0
    items = csr_matrix((np.ones(seen.sum(), dtype=np.float32), (rows[seen], cols[seen])),
                       shape=history.shape)
    evaluated = np.flatnonzero(sizes > 0)
    return Truth(evaluated, items[evaluated], sizes[evaluated], history[evaluated])


@dataclass(frozen=True)
class Judged:
    """A scorer's mean metrics at each k, and each customer's NDCG at each k (in the order of target.rows)."""

    means: dict[int, dict[str, float]]
    ndcg: dict[int, np.ndarray]


@dataclass(frozen=True)
class Difference:
    """Mean per-customer difference of two scorers' metric and its 95% paired bootstrap interval."""

    mean: float
    low: float
    high: float


def judge(scorer: Scorer, target: Truth, ks: tuple[int, ...], new_only: bool) -> Judged:
    """Mean precision, recall, NDCG, MAP, hit rate at each k and catalogue coverage, and each customer's NDCG
    for paired comparisons (paired_difference)."""
    return judge_grid(lambda rows: rows, [scorer], [target], ks, new_only)[0][0]


def metrics_grid(prepare: Callable[[np.ndarray], P], scorers: Sequence[Callable[[P], np.ndarray | Listed]],
                 targets: Sequence[Truth], ks: tuple[int, ...], new_only: bool,
                 batch: int = 256) -> list[list[dict[int, dict[str, float]]]]:
    """The mean metrics of `judge` for several scorers against several truths (hyperparameter grids):
    [target][scorer]."""
    return [[judged.means for judged in per_target]
            for per_target in judge_grid(prepare, scorers, targets, ks, new_only, batch)]


def judge_grid(prepare: Callable[[np.ndarray], P], scorers: Sequence[Callable[[P], np.ndarray | Listed]],
               targets: Sequence[Truth], ks: tuple[int, ...], new_only: bool, batch: int = 256
               ) -> list[list[Judged]]:
    """`judge` of several scorers against truths of one fold (its protocols): [target][scorer].

    Per batch of customers, the preparation and each scorer's ranking are shared by every truth holding them.
    """
    customers = np.unique(np.concatenate([t.rows for t in targets])) if targets else np.zeros(0, np.int64)
    history = _history_of(customers, targets)
    places = [np.searchsorted(customers, t.rows) for t in targets]
    kmax = max(ks)
    sums = [[{k: dict.fromkeys(METRICS, 0.0) for k in ks} for _ in scorers] for _ in targets]
    ndcg: list[list[dict[int, list[np.ndarray]]]] = [[{k: [] for k in ks} for _ in scorers] for _ in targets]
    shown: list[list[dict[int, set[int]]]] = [[{k: set() for k in ks} for _ in scorers] for _ in targets]
    discounts = 1.0 / np.log2(np.arange(2, kmax + 2))
    for start in range(0, len(customers), batch):
        rows = customers[start:start + batch]
        prepared = prepare(rows)
        seen = history[start:start + batch].tocoo()
        parts = [_part(target, place, start, start + len(rows)) for target, place in zip(targets, places)]
        for i, scorer in enumerate(scorers):
            scores = scorer(prepared)
            best = _best_listed(scores, seen, new_only, len(rows), kmax) if isinstance(scores, Listed) else \
                _best_dense(scores, seen, new_only, kmax)
            for t, (local, relevant, sizes) in enumerate(parts):
                mine = best[local]
                hits = np.take_along_axis(relevant, np.maximum(mine, 0), axis=1) & (mine >= 0)
                for k in ks:
                    ndcg[t][i][k].append(_accumulate(sums[t][i][k], hits[:, :k], sizes, discounts[:k], k))
                    shown[t][i][k].update(np.unique(mine[:, :k][mine[:, :k] >= 0]).tolist())
    return [[_judged(total, seen_k, rows_k, target, ks) for total, seen_k, rows_k in zip(*per_target)]
            for target, per_target in zip(targets, zip(sums, shown, ndcg))]


def _history_of(customers: np.ndarray, targets: Sequence[Truth]) -> csr_matrix:
    """What each of `customers` bought before the cut, from the truths holding them (all from one fold)."""
    if not len(customers):
        return csr_matrix((0, targets[0].history.shape[1] if targets else 0))
    places = np.concatenate([np.searchsorted(customers, t.rows) for t in targets])
    first = np.unique(places, return_index=True)[1]
    return vstack([t.history for t in targets], format="csr")[first]


def _part(target: Truth, place: np.ndarray, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A truth's customers within batch start..end: their rows in the batch, relevant products, sizes."""
    lo, hi = np.searchsorted(place, [start, end])
    return place[lo:hi] - start, target.items[lo:hi].toarray() > 0, target.sizes[lo:hi].astype(np.float64)


def _judged(total: dict[int, dict[str, float]], seen: dict[int, set[int]], rows: dict[int, list[np.ndarray]],
            target: Truth, ks: tuple[int, ...]) -> Judged:
    n, catalogue = max(len(target.rows), 1), target.items.shape[1]
    return Judged({k: {**{m: v / n for m, v in total[k].items() if m != "coverage"},
                       "coverage": len(seen[k]) / max(catalogue, 1)} for k in ks},
                  {k: np.concatenate(rows[k]) if rows[k] else np.zeros(0) for k in ks})


def _best_dense(scores: np.ndarray, history: coo_matrix, new_only: bool, k: int) -> np.ndarray:
    """Each row's k best columns, best first, -1 padded; bought products left out for new items."""
    if new_only:
        scores[history.row, history.col] = -np.inf
    return top(scores, k)


def _best_listed(scores: Listed, history: coo_matrix, new_only: bool, n_rows: int, k: int) -> np.ndarray:
    """_best_dense of listed scores: unlisted pairs are never shown.

    Each row's listed scores are laid out side by side (padded with -inf) and ranked like dense rows: one
    argpartition per row is several times cheaper than sorting every listed pair.
    """
    keep = np.isfinite(scores.scores)
    if new_only:
        keep &= lookup(history.tocsr(), scores.rows, scores.cols) == 0
    order = np.flatnonzero(keep)
    order = order[np.argsort(scores.rows[order], kind="stable")]
    rows, cols, values = scores.rows[order], scores.cols[order], scores.scores[order]
    place = np.arange(len(rows)) - np.searchsorted(rows, np.arange(n_rows))[rows]   # position within its row
    width = int(place.max(initial=-1)) + 1
    laid = np.full((n_rows, max(width, 1)), -np.inf, dtype=np.float32)
    laid[rows, place] = values
    products = np.full(laid.shape, -1, dtype=np.int64)
    products[rows, place] = cols
    best = top(laid, k)
    return np.where(best >= 0, np.take_along_axis(products, np.maximum(best, 0), axis=1), -1)


def paired_difference(first: np.ndarray, second: np.ndarray, resamples: int = 2000, seed: int = 0) -> Difference:
    """Mean of first - second over the same customers, with a 95% percentile bootstrap interval (seeded)."""
    difference = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    mean = float(difference.mean()) if len(difference) else 0.0
    if len(difference) < 2 or np.ptp(difference) == 0:
        return Difference(mean, mean, mean)   # nothing to resample
    interval = bootstrap((difference,), np.mean, n_resamples=resamples, method="percentile",
                         rng=np.random.default_rng(seed)).confidence_interval
    return Difference(mean, float(interval.low), float(interval.high))


def _accumulate(sums: dict[str, float], hits: np.ndarray, sizes: np.ndarray, discounts: np.ndarray,
                k: int) -> np.ndarray:
    """Add a batch's metrics to `sums`; returns each customer's NDCG."""
    n_hits = hits.sum(axis=1)
    sums["precision"] += float((n_hits / k).sum())
    sums["recall"] += float((n_hits / sizes).sum())
    ideal = np.cumsum(discounts)[np.minimum(sizes, k).astype(int) - 1]
    ndcg = (hits * discounts).sum(axis=1) / ideal
    sums["ndcg"] += float(ndcg.sum())
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    sums["map"] += float(((precision_at * hits).sum(axis=1) / np.minimum(sizes, k)).sum())
    sums["hit_rate"] += float((n_hits > 0).sum())
    return ndcg
