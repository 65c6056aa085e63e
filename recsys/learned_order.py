"""Learned orders for the blend's offers: which candidates a customer is likeliest to buy next.

The linear blend (recsys.hybrid) decides how many offers of each kind a list holds and where they stand: discovery
offers (products the customer never bought) and repurchases (products bought before). With a model for a kind, the
candidates of that kind that fill its places are the model's best of the blend's POOL best, in its order
(`reordered`: each takes the blend score of the place it fills, so the other kind keeps its scores and places).
A model is gradient-boosted trees (LightGBM, binary objective) on the kind's features: the blend's parts and score,
what the product's sales say (buyers, repeat share, recent sales, age: `ProductSignals`, taken when the artifact is
trained), what the customer's history says (products, baskets of the most bought one, days since the last
purchase) and, for a repurchase, the customer's own record of the product (baskets holding it, days since its
last purchase, usual interval). It is trained on the retailer's own weeks before the cut
(recsys.comparison.learn_order, for `c360 train --tune-days` and `c360 evaluate` alike) and kept only when it beats
the blend's order on customers it was not trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lightgbm
import numpy as np
from scipy.sparse import csr_matrix

from recsys.history import Coded
from recsys.interactions import DAY_S
from recsys.sort_keys import by_row_then_descending

if TYPE_CHECKING:
    from recsys.candidates import Candidates
    from recsys.model import Artifact

SHARED_FEATURES = ("collaborative", "neighbours", "popular", "peers", "blend", "buyers", "repeat_share",
                   "popularity", "recent_sales", "age_days", "customer_products", "customer_top_baskets",
                   "customer_days_since")
# the customer's own record of a product bought before: decayed basket share, due factor, 1 / (days since + 1),
# baskets holding it, days since its last purchase + 1, usual interval (0 unknown), (days since + 1) / interval
OWN_RECORD = ("rate", "due", "recency", "baskets", "last", "interval", "due_ratio")
RECENT_DAYS = 14      # recent_sales: purchases of the product in the last two weeks before training
POOL = 100            # candidates of a kind per customer the model reorders: the blend's best (cost: predictions)
ROUNDS = 200
PARAMETERS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 50,
    "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1, "seed": 1, "deterministic": True,
    "verbose": -1, "num_threads": 2}


@dataclass(frozen=True)
class Kind:
    """Which candidates a learned order reorders, and what its model reads of them."""

    name: str               # the Artifact field holding its model, and the model's file stem
    bought_before: bool     # repurchase candidates (bought before) or discovery ones (never bought)
    features: tuple[str, ...]

    def of(self, found: Candidates) -> np.ndarray:
        """Which of the candidates are of this kind."""
        return found.bought > 0 if self.bought_before else found.bought == 0


DISCOVERY = Kind("discovery", False, SHARED_FEATURES)
REPURCHASE = Kind("repurchase", True, OWN_RECORD + SHARED_FEATURES)
KINDS = (DISCOVERY, REPURCHASE)


@dataclass(frozen=True)
class ProductSignals:
    """What each product's sales before training say, (products,) float32 each (log1p of counts and days)."""

    buyers: np.ndarray         # log1p of the customers who bought it
    repeat_share: np.ndarray   # (buyers in two baskets or more + 1) / (buyers + 4)
    recent_sales: np.ndarray   # log1p of its purchase lines in the last RECENT_DAYS days
    age_days: np.ndarray       # log1p of the days since its first sale (0: never sold)

    FIELDS = ("buyers", "repeat_share", "recent_sales", "age_days")

    def arrays(self) -> dict[str, np.ndarray]:
        return {f"signal_{name}": getattr(self, name) for name in self.FIELDS}

    @classmethod
    def from_arrays(cls, arrays: Any) -> ProductSignals | None:
        """Signals saved by `arrays`; None for an artifact saved before they existed."""
        names = [f"signal_{name}" for name in cls.FIELDS]
        return cls(*(arrays[n] for n in names)) if all(n in arrays for n in names) else None


def product_signals(coded: Coded, baskets: csr_matrix, now: int) -> ProductSignals:
    """ProductSignals from coded interactions before `now` and the (customers, products) basket counts."""
    n_products = baskets.shape[1]
    by_product = baskets.tocsc()
    buyers = np.diff(by_product.indptr).astype(np.float32)
    product_of_entry = np.repeat(np.arange(n_products), np.diff(by_product.indptr))
    repeaters = np.bincount(product_of_entry[by_product.data >= 2], minlength=n_products)
    bought = coded.kind == 0
    recent = np.bincount(coded.col[bought & (coded.at >= now - RECENT_DAYS * DAY_S)], minlength=n_products)
    first = np.full(n_products, now, dtype=np.int64)
    np.minimum.at(first, coded.col[bought], coded.at[bought])
    return ProductSignals(np.log1p(buyers).astype(np.float32),
                          ((repeaters + 1.0) / (buyers + 4.0)).astype(np.float32),
                          np.log1p(recent).astype(np.float32),
                          np.log1p(np.maximum(now - first, 0) / DAY_S).astype(np.float32))


def features(kind: Kind, found: Candidates, total: np.ndarray, signals: ProductSignals, popularity: np.ndarray,
             at: np.ndarray) -> np.ndarray:
    """(len(at), kind.features) float32 for the candidates at positions `at`; `total` is their blend score."""
    parts, cols, rows = found.parts, found.cols[at], found.rows[at]
    share = popularity / max(float(popularity.max(initial=0.0)), 1e-9)
    shared = [
        parts.collaborative[at], parts.neighbours[at], parts.popular[at], parts.peers[at], total[at],
        signals.buyers[cols], signals.repeat_share[cols], share[cols], signals.recent_sales[cols],
        signals.age_days[cols], np.log1p(found.customer_products[rows]), np.log1p(found.customer_top_baskets[rows]),
        found.customer_days_since[rows]]
    if not kind.bought_before:
        return np.column_stack(shared).astype(np.float32)
    last, interval = found.last[at], found.interval[at]
    due_ratio = np.divide(last, interval, out=np.full(len(at), np.nan, np.float32), where=interval > 0)
    own = [parts.rate[at], parts.due[at], parts.recency[at], found.bought[at], last, interval, due_ratio]
    return np.column_stack(own + shared).astype(np.float32)


def fit(kind: Kind, x: np.ndarray, bought: np.ndarray) -> lightgbm.Booster:
    """A model of the kind from feature rows and whether each candidate was bought."""
    data = lightgbm.Dataset(x, bought.astype(np.int8), feature_name=list(kind.features), free_raw_data=True)
    return lightgbm.train(PARAMETERS, data, num_boost_round=ROUNDS)


def predict(model: lightgbm.Booster, x: np.ndarray) -> np.ndarray:
    """Purchase scores of feature rows, on the calling thread (the precompute's ranking threads are the
    parallelism; OpenMP threads of their own would only contend with them)."""
    if not len(x):
        return np.zeros(0, np.float32)
    return np.asarray(model.predict(x, num_threads=1), dtype=np.float32)


def served(artifact: Artifact, found: Candidates, total: np.ndarray, eligible: np.ndarray,
           floor: np.ndarray | None = None) -> np.ndarray:
    """`total` in the order of each learned model the artifact holds, among the eligible candidates (personalised,
    not held back: those a list may hold).

    `floor` (per row: the score of the list's last place, -inf while the list is not full) is the same in every
    order, since an order only hands a kind's scores round among its own candidates; a customer none of whose
    candidates of a kind reaches it would have none listed whatever the model said, so the model does not score
    them (on complete_journey four customers in five have no discovery offer in a list of 50).
    """
    for kind in KINDS:
        mine = kind.of(found) & eligible
        if floor is not None:
            mine &= _reaching(found.rows, total, mine, floor)
        total = reordered(kind, getattr(artifact, kind.name), artifact.signals, artifact.popularity, found, total,
                          mine)
    return total


def holds_any(artifact: Artifact) -> bool:
    """Whether the artifact serves a learned order (a model of either kind, and the signals it reads)."""
    return artifact.signals is not None and any(getattr(artifact, kind.name) is not None for kind in KINDS)


def _reaching(rows: np.ndarray, total: np.ndarray, mine: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Per candidate: whether its row has a candidate among `mine` scoring at least the row's floor."""
    reach = np.zeros(len(floor), dtype=bool)
    reach[rows[mine & (total >= floor[rows])]] = True
    return reach[rows]


def reordered(kind: Kind, model: lightgbm.Booster | None, signals: ProductSignals | None, popularity: np.ndarray,
              found: Candidates, total: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """`total` with the eligible candidates' scores handed out in the kind's model's order, row by row.

    Of each customer's eligible (of the kind, personalised, finite score) candidates, the POOL best by the blend
    keep the set of blend scores they had: the best of them by the model gets the best of those scores, and so
    on, so the other candidates and the places the kind's offers take in a list are unchanged. Without a model
    (or signals), `total` itself.
    """
    at = np.flatnonzero(eligible & np.isfinite(total))
    if model is None or signals is None or not len(at):
        return total
    at = _pool(at, found.rows, total)
    learned = predict(model, features(kind, found, total, signals, popularity, at))
    rows = found.rows[at]
    by_blend = at[by_row_then_descending(rows, total[at])]
    by_model = at[by_row_then_descending(rows, learned)]
    result = total.copy()
    result[by_model] = total[by_blend]
    return result


def _pool(at: np.ndarray, rows: np.ndarray, total: np.ndarray) -> np.ndarray:
    """The positions `at` among each row's POOL highest totals, in position order."""
    order = at[by_row_then_descending(rows[at], total[at])]
    ranked = rows[order]
    place = np.arange(len(order)) - np.searchsorted(ranked, ranked)
    return np.sort(order[place < POOL])


def to_text(model: lightgbm.Booster) -> str:
    return str(model.model_to_string())


def from_text(text: str) -> lightgbm.Booster:
    return lightgbm.Booster(model_str=text)
