"""The candidate ranking gives the dense hybrid ranking (pure logic on a small random retailer)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix, random as sparse_random

from recsys import candidates, hybrid
from recsys.interactions import DAY_S, InteractionSettings
from recsys.model import Artifact, ModelSettings
from recsys.precompute import Customers, customers_of
from recsys.training import train


def test_lookup_reads_stored_entries_and_zero_elsewhere() -> None:
    matrix = csr_matrix(np.array([[0, 2, 0], [3, 0, 4]], dtype=np.float32))
    values = candidates.lookup(matrix, np.array([0, 0, 1, 1, 1]), np.array([0, 1, 0, 1, 2]))
    assert values.tolist() == [0, 2, 3, 0, 4]


@pytest.mark.parametrize("pairs", ["sorted", "shuffled"])
@pytest.mark.parametrize("density", [0.05, 0.9])
def test_lookup_of_many_pairs_reads_what_the_dense_matrix_holds(pairs: str, density: float) -> None:
    """Sorted pairs outnumbering the stored entries are searched the other way round (stored among pairs)."""
    matrix = sparse_random(40, 60, density=density, format="csr", dtype=np.float32, random_state=3)
    rng = np.random.default_rng(4)
    keys = np.sort(rng.choice(40 * 60, size=1_500, replace=False))
    if pairs == "shuffled":
        keys = rng.permutation(keys)
    rows, cols = keys // 60, keys % 60
    assert candidates.lookup(matrix, rows, cols).tolist() == matrix.toarray()[rows, cols].tolist()


def test_top_stored_keeps_each_rows_largest_values() -> None:
    matrix = csr_matrix(np.array([[5, 1, 4, 0, 3], [0, 0, 1, 0, 0]], dtype=np.float32))
    rows, cols = candidates._top_stored(matrix, 2)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 0), (0, 2), (1, 2)]


def test_best_per_row_orders_by_score_then_product() -> None:
    rows = np.array([0, 0, 0, 1, 1])
    cols = np.array([7, 3, 5, 1, 2])
    total = np.array([0.5, 0.5, 0.9, 0.1, 0.2], np.float32)
    best = candidates.best_per_row(rows, cols, total, 2)
    assert list(zip(rows[best].tolist(), cols[best].tolist())) == [(0, 5), (0, 3), (1, 2), (1, 1)]


@pytest.mark.parametrize("head", [64, 8_192])
def test_the_factor_top_k_is_the_full_top_k_without_scoring_every_product(monkeypatch: pytest.MonkeyPatch,
                                                                           head: int) -> None:
    # item factors of very different lengths, as ALS gives popular and rare products; a head of 64 products
    # sends most customers past it, one of 8,192 covers the whole catalogue
    monkeypatch.setattr(candidates, "HEAD_PRODUCTS", head)
    rng = np.random.default_rng(3)
    taste = np.eye(16)[0] * 2.0     # a shared direction, so that most scores are positive as with ALS
    items = ((rng.normal(size=(3_000, 16)) + taste) * rng.lognormal(-2, 1, size=(3_000, 1))).astype(np.float32)
    customers = (rng.normal(size=(300, 16)) + taste).astype(np.float32)
    customers[0] = 0.0       # no factors at all: every score 0
    customers[1] *= 1e-3
    by_length = candidates._ByLength(*_sorted_by_length(items))
    best, scores = candidates._top_products(by_length, customers, 40)
    full = customers @ items.T
    expected = np.argpartition(full, 3_000 - 40, axis=1)[:, 3_000 - 40:]
    for row in range(1, 300):
        assert sorted(best[row].tolist()) == sorted(expected[row].tolist())
    assert np.allclose(scores, np.take_along_axis(full, best, axis=1), atol=1e-6)
    assert np.all(scores[0] == 0) and len(set(best[0].tolist())) == 40


def _sorted_by_length(items: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.linalg.norm(items, axis=1)
    order = np.argsort(-lengths)
    return np.ascontiguousarray(items[order]), lengths[order], order


def test_candidates_sorted_by_row_and_product_are_ordered_as_lexsort_orders_them() -> None:
    # the one-key sort must order totals as floats (signs, zeros, ties broken by product) exactly as lexsort
    rng = np.random.default_rng(5)
    for trial in range(40):
        pairs = np.unique(rng.integers(0, 40, 2_000) * 1_000 + rng.integers(0, 500, 2_000))
        rows, cols = pairs // 1_000, pairs % 1_000
        values = np.array([0.5, 0.25, -1.0, 0.0, -0.0, 3.0, 1e-30, -1e-30], np.float32)
        total = rng.choice(values, len(rows)) if trial % 2 else rng.normal(size=len(rows)).astype(np.float32)
        assert candidates._by_row_then_best(rows, cols, total).tolist() == \
            np.lexsort((cols, -total, rows)).tolist()


def test_lookups_sharing_a_pattern_read_each_matrix() -> None:
    first = csr_matrix(np.array([[0, 2, 0], [3, 0, 4]], dtype=np.float32))
    second = first.copy()
    second.data = np.array([7, 8, 9], np.float32)
    rows, cols = np.array([0, 0, 1, 1, 1]), np.array([0, 1, 0, 1, 2])
    assert [v.tolist() for v in candidates.lookup_alike((first, second), rows, cols)] == \
        [[0, 2, 3, 0, 4], [0, 7, 8, 0, 9]]
    other = csr_matrix(np.array([[1, 0, 0], [0, 0, 5]], dtype=np.float32))   # another pattern: looked up alone
    assert candidates.lookup_alike((first, other), rows, cols)[1].tolist() == [1, 0, 0, 0, 5]


def test_union_is_distinct_and_sorted() -> None:
    rows, cols = candidates._union(10, (np.array([1, 0]), np.array([2, 3])), (np.array([0, 1]), np.array([3, 0])))
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 3), (1, 0), (1, 2)]


def test_a_sparse_row_maximum_normalises_to_one() -> None:
    scores = sparse_random(3, 40, density=0.3, format="csr", random_state=1, dtype=np.float32)
    part = candidates._sparse_part(scores, 5)
    rows = np.repeat(np.arange(3), 40)
    values = part.normalised(scores.toarray().ravel(), rows)
    dense = hybrid._normalised(scores.toarray()).ravel()
    assert np.allclose(values, dense)


def test_one_customers_neighbour_scores_are_the_batch_product_to_the_bit() -> None:
    neighbours = sparse_random(50, 50, density=0.2, format="csr", random_state=2, dtype=np.float32)
    user_items = sparse_random(4, 50, density=0.3, format="csr", random_state=3, dtype=np.float32)
    artifact: Any = type("Neighbours", (), {"neighbours": neighbours})()
    batch = candidates._neighbour_scores(artifact, user_items).toarray()
    alone = np.vstack([candidates._neighbour_scores(artifact, user_items[[row]]).toarray() for row in range(4)])
    assert batch.any() and np.array_equal(alone, batch)


@pytest.mark.parametrize("cells", [candidates.SIMILARITY_CELLS, 50])
def test_an_offer_comes_from_the_customers_most_similar_product(monkeypatch: pytest.MonkeyPatch, cells: int) -> None:
    # sources' definition: a dense argmax over the customer's products (0 where no similarity is stored, the
    # first of equals); with rounded similarities for ties and negative ones for offers nothing is close to; 50
    # cells make many blocks of offered products
    monkeypatch.setattr(candidates, "SIMILARITY_CELLS", cells)
    rng = np.random.default_rng(6)
    neighbours = sparse_random(40, 40, density=0.3, format="csr", random_state=4, dtype=np.float32)
    neighbours.data = np.round(neighbours.data * 4) / 4 - 0.25
    owned = sparse_random(30, 40, density=0.15, random_state=5, dtype=np.float32).toarray()
    owned[3] = 0.0       # a customer with no products: no source
    user_items = csr_matrix(owned)
    artifact: Any = type("Neighbours", (), {"neighbours": neighbours, "model": None,
                                            "derived": lambda self, name, make: make()})()
    rows, cols = np.repeat(np.arange(30), 8), rng.integers(0, 40, 240)
    codes = rng.choice(np.array([1, 3, 4], np.int8), 240)
    found = candidates.sources(artifact, user_items, rows, cols, codes)
    dense = neighbours.toarray()
    best = []
    for offer, (row, col, code) in enumerate(zip(rows.tolist(), cols.tolist(), codes.tolist())):
        mine = user_items[row].indices
        expected = col if code == 1 else -1 if code == 4 or not len(mine) else mine[np.argmax(dense[mine, col])]
        assert found[offer] == expected, (row, col, code)
        if code == 3 and len(mine):
            best.append(dense[mine, col].max())
    assert min(best) <= 0 < max(best) and len(best) > 50


def _random_batch(seed: int) -> tuple[Artifact, Customers]:
    """A small random retailer trained with the real ALS, and its customers as one batch."""
    rng = np.random.default_rng(seed)
    n_customers, n_products, n_stores, now = 40, 60, 3, 400 * DAY_S
    n = 1_500
    table = pd.DataFrame({
        "customer_id": [f"c{i}" for i in rng.integers(0, n_customers, n)],
        "product_id": [f"p{i}" for i in rng.zipf(1.5, n) % n_products],
        "basket_id": [f"b{i}" for i in rng.integers(0, 400, n)],
        "at": rng.integers(0, now, n), "kind": rng.choice(["purchase", "purchase", "view"], n),
        "store_id": [f"s{i}" for i in rng.integers(0, n_stores, n)], "channel_id": "pos"})
    categories = {f"p{i}": f"k{i % 7}" for i in range(n_products)}
    artifact = train(table, ModelSettings(factors=8, iterations=5), InteractionSettings(), now, categories)
    profiles = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n_customers)],
                             "home_store_id": [f"s{i % n_stores}" if i % 4 else None for i in range(n_customers)],
                             "personalisation": [False if i % 9 == 0 else None for i in range(n_customers)]})
    return artifact, customers_of(table, profiles, artifact, now, hybrid.HybridSettings())


@dataclass
class _Scored:
    """Dense scores of a batch of customers: total (-inf = suppressed) and the leading component."""

    total: np.ndarray      # (batch, products) float32
    leading: np.ndarray    # (batch, products) int8 index into hybrid.COMPONENTS


def _components(artifact: Artifact, batch: Customers, settings: hybrid.HybridSettings) -> hybrid.Components:
    """The hybrid's parts over the whole catalogue (batch, products): the specification candidates must meet."""
    recency = batch.stats.last.copy()
    recency.data = 1.0 / recency.data
    return hybrid.Components(
        batch.stats.rate.toarray(), hybrid.due_factor(batch.stats).toarray(), recency.toarray(),
        hybrid._normalised(hybrid.collaborative(artifact, batch.user_items)),
        hybrid._normalised(hybrid.neighbours(artifact, batch.user_items)), hybrid.popular_at(artifact, batch.home),
        batch.peers.toarray(), hybrid.suppressed_recent(batch.stats, settings).toarray())


def _dense(artifact: Artifact, batch: Customers, settings: hybrid.HybridSettings) -> _Scored:
    """The hybrid scored over the whole catalogue; customers who refused personalisation get popularity only."""
    parts = _components(artifact, batch, settings)
    refused = ~batch.personalise[:, None]
    total, leading = hybrid.blend(parts.rate, parts.due, parts.recency, parts.collaborative, parts.neighbours,
                                  parts.popular, parts.peers, refused, settings)
    total[parts.suppressed & batch.personalise[:, None]] = -np.inf
    return _Scored(total, leading)


def _leads(artifact: Artifact, batch: Customers, settings: hybrid.HybridSettings, ranked: candidates.Ranked
           ) -> np.ndarray:
    """Whether each ranked offer's leading component is one of the largest weighted parts (ties either way)."""
    parts = _components(artifact, batch, settings)
    r, c = ranked.rows, ranked.cols
    weighted = np.stack([
        settings.repurchase * (parts.rate[r, c] * (1 - settings.due_strength + settings.due_strength * parts.due[r, c])
                               + settings.recency * parts.recency[r, c]),
        settings.collaborative * parts.collaborative[r, c], settings.neighbours * parts.neighbours[r, c],
        settings.popular * parts.popular[r, c],
        np.where(parts.rate[r, c] > 0, settings.peers_bought, settings.peers_new) * parts.peers[r, c]])
    personal = batch.personalise[r]
    chosen = weighted[ranked.leading, np.arange(len(r))]
    return ~personal | (chosen >= weighted.max(axis=0) - 1e-6)


@pytest.mark.parametrize(("seed", "knn_weight"), [(1, 0.3), (2, 0.3), (3, 0.3), (1, 0.0), (2, 0.0)])
def test_rank_scores_exactly_what_the_dense_hybrid_scores(seed: int, knn_weight: float) -> None:
    artifact, batch = _random_batch(seed)
    settings = hybrid.HybridSettings(list_size=10, neighbours=knn_weight)    # 0: the item-kNN part is skipped
    dense = _dense(artifact, batch, settings)
    best = hybrid.top(np.where(dense.total > 0, dense.total, -np.inf), settings.list_size)
    ranked = candidates.rank(artifact, batch.user_items, batch.stats, batch.peers, batch.home, batch.personalise,
                             settings)
    assert np.allclose(ranked.total, dense.total[ranked.rows, ranked.cols], atol=1e-6)
    assert _leads(artifact, batch, settings, ranked).all()
    assert (ranked.leading == dense.leading[ranked.rows, ranked.cols]).mean() > 0.95   # differ only on ties
    for row in range(len(batch.ids)):
        expected = np.sort(dense.total[row, best[row][best[row] >= 0]])[::-1]
        assert np.allclose(ranked.total[ranked.rows == row], expected, atol=1e-6)


def test_store_popularity_reads_alike_held_dense_or_sparse(monkeypatch: pytest.MonkeyPatch) -> None:
    values = []
    for cells, held in ((candidates.DENSE_CELLS, "_Dense"), (0, "_Stored")):
        monkeypatch.setattr(candidates, "DENSE_CELLS", cells)
        artifact, batch = _random_batch(1)     # a new artifact: its lookups are made anew
        rows = np.repeat(np.arange(len(batch.ids)), artifact.popularity.shape[0])
        cols = np.tile(np.arange(artifact.popularity.shape[0]), len(batch.ids))
        values.append(candidates._popular_values(artifact, batch.home, rows, cols, 10))
        assert type(candidates._popularity(artifact, 10).at_store).__name__ == held
    assert values[0].tolist() == values[1].tolist() and values[0].max() == 1 and len(set(values[0].tolist())) > 10


def test_few_candidates_per_source_still_score_exactly_and_keep_the_best() -> None:
    artifact, batch = _random_batch(4)
    settings = hybrid.HybridSettings(list_size=10)
    dense = _dense(artifact, batch, settings)
    ranked = candidates.rank(artifact, batch.user_items, batch.stats, batch.peers, batch.home, batch.personalise,
                             settings, per_source=5)
    assert np.allclose(ranked.total, dense.total[ranked.rows, ranked.cols], atol=1e-6)
    firsts = np.searchsorted(ranked.rows, np.unique(ranked.rows))
    best_dense = np.where(dense.total > 0, dense.total, -np.inf).max(axis=1)[ranked.rows[firsts]]
    assert np.allclose(ranked.total[firsts], best_dense, atol=1e-6)


def test_a_batch_ranks_each_customer_as_the_worker_ranks_them_alone() -> None:
    # a batch scores factors with one BLAS product, a single customer with implicit's top-k
    artifact, batch = _random_batch(5)
    settings = hybrid.HybridSettings(list_size=10)
    together = candidates.rank(artifact, batch.user_items, batch.stats, batch.peers, batch.home,
                               batch.personalise, settings, per_source=5)
    assert len(batch.ids) >= candidates.FEW_CUSTOMERS
    for row in range(len(batch.ids)):
        alone = candidates.rank(artifact, *_one(batch, row), settings, per_source=5)
        mine = together.rows == row
        assert together.cols[mine].tolist() == alone.cols.tolist()
        assert np.allclose(together.total[mine], alone.total, atol=1e-6)


def _one(batch: Customers, row: int) -> tuple[Any, ...]:
    part = batch.rows(slice(row, row + 1))
    return part.user_items, part.stats, part.peers, part.home, part.personalise


def test_the_tuning_score_is_the_served_score() -> None:
    artifact, batch = _random_batch(6)
    everyone = np.ones(len(batch.ids), dtype=bool)
    for settings in (hybrid.HybridSettings(list_size=10),
                     hybrid.HybridSettings(repurchase=4, due_strength=0, peers_new=2.0, peers_bought=1.0,
                                           neighbours=0.0, recency=0.1, list_size=10, recent_days=30,
                                           staple_share=0.05)):
        parts = _components(artifact, batch, settings)
        served = hybrid.blend(parts.rate, parts.due, parts.recency, parts.collaborative, parts.neighbours,
                              parts.popular, parts.peers, ~everyone[:, None], settings)[0]
        served[parts.suppressed] = -np.inf
        assert np.isneginf(served).any()
        assert np.allclose(hybrid.personal_total(parts, settings), served, atol=1e-6)
        # tuning scores each weighting on the candidates found once (recsys.comparison._scored)
        found = candidates.find(artifact, batch.user_items, batch.stats, batch.peers, batch.home,
                                hybrid.HybridSettings(), per_source=5)
        total = hybrid.personal_total(replace(found.parts, suppressed=found.suppressed(settings)), settings)
        keep = np.flatnonzero((total > 0) & np.isfinite(total))
        tuned = keep[candidates.best_per_row(found.rows[keep], found.cols[keep], total[keep], settings.list_size)]
        ranked = candidates.rank(artifact, batch.user_items, batch.stats, batch.peers, batch.home, everyone,
                                 settings, per_source=5)
        assert (found.rows[tuned].tolist(), found.cols[tuned].tolist()) == (ranked.rows.tolist(),
                                                                            ranked.cols.tolist())
        assert np.allclose(total[tuned], ranked.total, atol=1e-6)
