"""What a fold learns before a cut, and every method judged on it (dense score rows; the hybrid lists its
candidates' scores, as served).

Methods: global popularity, store popularity, personal top frequency ("buy it again"), TIFU-KNN
(Hu et al., SIGIR 2020: time-decayed personal item frequency blended with the nearest customers'),
item-kNN (cosine or BM25), ALS, BPR, and the hybrid of recsys.hybrid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from implicit.nearest_neighbours import ItemItemRecommender
from scipy.sparse import csr_matrix

from recsys import candidates, hybrid, learned_order
from recsys.history import BasketDecay, Coded, PurchaseStats, encode, purchase_stats, weighted
from recsys.interactions import IdMaps, InteractionSettings
from recsys.model import Artifact, ModelSettings, fit
from recsys.peers import nearest_customers
from recsys.training import home_stores, train


@dataclass(frozen=True)
class Listed:
    """Scores of some (customer, product) pairs of a batch (aligned; rows index the batch); the rest are unlisted.

    What a scorer returns instead of dense (batch, products) rows when it only scores candidates.
    """

    rows: np.ndarray
    cols: np.ndarray
    scores: np.ndarray


Scorer = Callable[[np.ndarray], np.ndarray | Listed]   # customer rows of the fold -> their scores


@dataclass
class Fold:
    """Everything learnt from the interactions before `cut` (epoch seconds)."""

    cut: int
    artifact: Artifact
    coded: Coded
    matrix: csr_matrix         # (customers, products) interaction weights
    stats: PurchaseStats       # weighted by basket_decay
    home: np.ndarray           # (customers,) home store index, -1 unknown
    categories: dict[str, str]
    basket_decay: BasketDecay

    @property
    def ids(self) -> IdMaps:
        return self.artifact.ids


def make_fold(table: pd.DataFrame, cut: int, settings: ModelSettings, interaction_settings: InteractionSettings,
              categories: dict[str, str], hybrid_settings: hybrid.HybridSettings) -> Fold:
    """Train on everything before the cut."""
    before = table[table["at"] < cut]
    artifact = train(before, settings, interaction_settings, cut, categories)
    coded = encode(before, artifact.ids)
    shape = (len(artifact.ids.customer_ids), len(artifact.ids.product_ids))
    decay = hybrid_settings.basket_decay
    return Fold(cut, artifact, coded, weighted(coded, shape, interaction_settings, cut),
                purchase_stats(coded, shape, artifact.categories, cut, decay),
                home_stores(before, artifact.ids.customer_ids, artifact.store_ids), categories, decay)


def with_model(fold: Fold, settings: ModelSettings) -> Fold:
    """The same fold with another collaborative model (refit on the same matrix)."""
    artifact = replace(fold.artifact, model=fit(fold.matrix, settings), settings=settings)
    return replace(fold, artifact=artifact)


def with_basket_decay(fold: Fold, decay: BasketDecay) -> Fold:
    """The same fold with its purchase statistics weighted by another basket decay."""
    if decay == fold.basket_decay:
        return fold
    stats = purchase_stats(fold.coded, fold.matrix.shape, fold.artifact.categories, fold.cut, decay)
    return replace(fold, stats=stats, basket_decay=decay)


def global_popular(fold: Fold) -> Scorer:
    popularity = fold.artifact.popularity.astype(np.float32)
    return lambda rows: np.tile(popularity, (len(rows), 1))


def store_popular(fold: Fold) -> Scorer:
    return lambda rows: hybrid.popular_at(fold.artifact, fold.home[rows])


def personal_top_frequency(fold: Fold) -> Scorer:
    """Most often bought first (ties: more recent), topped up with popular products."""
    fill = 1e-3 * hybrid.popular_at(fold.artifact, np.full(1, -1))[0]

    def scores(rows: np.ndarray) -> np.ndarray:
        recency = fold.stats.last[rows].copy()
        recency.data = 1.0 / recency.data
        return fold.stats.baskets[rows].toarray() + 1e-2 * recency.toarray() + fill
    return scores


def item_knn(fold: Fold, model: ItemItemRecommender) -> Scorer:
    similarity = model.similarity.tocsr()
    return lambda rows: np.asarray((fold.matrix[rows] @ similarity).toarray(), dtype=np.float32)


def matrix_factorisation(fold: Fold) -> Scorer:
    """ALS (customer factors recomputed from their row, as the worker does) or BPR (trained factors)."""
    model = fold.artifact.model
    if type(model).__name__ == "AlternatingLeastSquares":
        return lambda rows: hybrid.collaborative(fold.artifact, fold.matrix[rows])
    return lambda rows: np.asarray(model.user_factors[rows] @ model.item_factors.T, dtype=np.float32)


def hybrid_scorer(fold: Fold, settings: hybrid.HybridSettings) -> Scorer:
    """The hybrid's score of each customer's candidates as served (everyone personalised), however many."""
    fold = with_basket_decay(fold, settings.basket_decay)
    return lambda rows: listed_scores(hybrid_candidates(fold, rows, settings), settings, fold.artifact)


def listed_scores(found: candidates.Candidates, settings: hybrid.HybridSettings,
                  artifact: Artifact | None = None) -> Listed:
    """The served score of every candidate under `settings`, in the order of the artifact's learned models if
    it has any (everyone personalised); the suppressed and those not above 0 unlisted."""
    total = blend_total(found, settings)
    if artifact is not None:
        total = learned_order.served(artifact, found, total, np.ones(len(total), bool))
    return Listed(found.rows, found.cols, np.where(total > 0, total, -np.inf))


def blend_total(found: candidates.Candidates, settings: hybrid.HybridSettings) -> np.ndarray:
    """The blend's score of every candidate under `settings` (everyone personalised), -inf where suppressed."""
    return hybrid.personal_total(replace(found.parts, suppressed=found.suppressed(settings)), settings)


def hybrid_candidates(fold: Fold, rows: np.ndarray, settings: hybrid.HybridSettings) -> candidates.Candidates:
    """The hybrid's candidates for some of the fold's customers, with their parts (stats: see with_basket_decay)."""
    return candidates.find(fold.artifact, fold.matrix[rows], _stats_of(fold, rows), fold.artifact.peers[rows],
                           fold.home[rows], settings)


def _stats_of(fold: Fold, rows: np.ndarray) -> PurchaseStats:
    return PurchaseStats(*(getattr(fold.stats, f)[rows] for f in ("baskets", "last", "interval", "rate")))


@dataclass(frozen=True)
class TifuSettings:
    """TIFU-KNN: baskets in groups of `group_size`, decayed within (`within`) and across (`across`) groups."""

    group_size: int = 7
    within: float = 0.9
    across: float = 0.7
    neighbours: int = 300
    alpha: float = 0.7


def tifu_knn(fold: Fold, settings: TifuSettings) -> Scorer:
    """alpha * own time-decayed basket vector + (1 - alpha) * mean of the nearest customers' vectors."""
    vectors = _tifu_vectors(fold.coded, fold.matrix.shape, settings)
    near = nearest_customers(vectors, settings.neighbours)

    def scores(rows: np.ndarray) -> np.ndarray:
        own = vectors[rows].toarray()
        others = (near[rows] @ vectors).toarray()
        return (settings.alpha * own + (1 - settings.alpha) * others).astype(np.float32)
    return scores


def _tifu_vectors(coded: Coded, shape: tuple[int, int], settings: TifuSettings) -> csr_matrix:
    bought = coded.select(coded.kind == 0)
    baskets = pd.DataFrame({"row": bought.row, "basket": bought.basket, "at": bought.at})
    # newest first; baskets of one moment by their (canonical, history.encode) codes, not as the rows came in
    order = baskets.drop_duplicates(["row", "basket"]).sort_values(["row", "at", "basket"],
                                                                   ascending=[True, False, False])
    rank = order.groupby("row").cumcount().to_numpy()
    group, position = rank // settings.group_size, rank % settings.group_size
    order["weight"] = settings.across ** group * settings.within ** position
    totals = order.groupby("row")["weight"].transform("sum").to_numpy()
    order["weight"] = order["weight"].to_numpy() / totals
    weight_of = dict(zip(zip(order["row"].tolist(), order["basket"].tolist()), order["weight"].tolist()))
    lines = pd.DataFrame({"row": bought.row, "col": bought.col, "basket": bought.basket}).drop_duplicates()
    weights = np.fromiter((weight_of[(r, b)] for r, b in zip(lines["row"].tolist(), lines["basket"].tolist())),
                          dtype=np.float64, count=len(lines))
    matrix = csr_matrix((weights, (lines["row"].to_numpy(), lines["col"].to_numpy())), shape=shape)
    matrix.sum_duplicates()
    return matrix.astype(np.float32)
