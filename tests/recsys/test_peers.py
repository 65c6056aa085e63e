"""Customers like you: nearest customers and what they buy (pure logic)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from recsys.peers import _largest, nearest_customers, peer_rates

# two taste groups over products 0..3 (group A) and 4..7 (group B); customer 6 bought nothing
RATES = csr_matrix(np.array([
    [0.5, 0.5, 0.0, 0.0, 0, 0, 0, 0],
    [0.4, 0.3, 0.3, 0.0, 0, 0, 0, 0],
    [0.3, 0.3, 0.2, 0.2, 0, 0, 0, 0],
    [0, 0, 0, 0, 0.5, 0.5, 0.0, 0.0],
    [0, 0, 0, 0, 0.4, 0.3, 0.3, 0.0],
    [0, 0, 0, 0, 0.3, 0.3, 0.2, 0.2],
    [0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0],
], dtype=np.float32))


def test_a_customers_nearest_are_the_others_of_their_taste_group() -> None:
    near = nearest_customers(RATES, k=2, batch=3).toarray()
    assert near.shape == (7, 7)
    assert np.allclose(near.sum(axis=1), [1, 1, 1, 1, 1, 1, 0])   # customer 6 shares nothing with anyone
    assert near[0].nonzero()[0].tolist() == [1, 2]
    assert near[4].nonzero()[0].tolist() == [3, 5]
    assert np.all(np.diag(near) == 0)


def test_peers_buy_what_the_customer_never_bought_and_only_their_groups_products() -> None:
    peers = peer_rates(RATES, k=2, keep=8, batch=2).toarray()
    assert np.allclose(peers[0], [0.35, 0.3, 0.25, 0.1, 0, 0, 0, 0])   # the mean of customers 1 and 2
    assert peers[0, 3] > 0 and RATES[0, 3] == 0          # product 3: never bought by customer 0, bought by peers
    assert not peers[:3, 4:].any() and not peers[3:6, :4].any()


def test_each_row_keeps_only_its_best_products() -> None:
    peers = peer_rates(RATES, k=2, keep=2).toarray()
    assert (peers > 0).sum(axis=1).max() == 2
    assert sorted(np.flatnonzero(peers[0]).tolist()) == [0, 1]   # 0.35 and 0.3 beat 0.25 and 0.1


def test_a_customer_who_bought_nothing_has_no_peers_and_k_zero_gives_none() -> None:
    assert peer_rates(RATES, k=2, keep=8)[6].nnz == 0
    assert peer_rates(RATES, k=0, keep=8).nnz == 0


def sorted_rows(scores: np.ndarray, k: int) -> tuple[list[int], list[int]]:
    """Each row's k largest positive scores by sorting the whole row, best first, ties to the lower column."""
    rows: list[int] = []
    cols: list[int] = []
    for r, row in enumerate(scores):
        best = np.argsort(-row, kind="stable")[:k]
        best = best[row[best] > 0]
        rows += [r] * len(best)
        cols += best.tolist()
    return rows, cols


@pytest.mark.parametrize("columns", [7, 5_000])
def test_the_largest_scores_are_those_sorting_each_row_would_pick(columns: int) -> None:
    rng = np.random.default_rng(3)
    scores = (rng.integers(-3, 40, size=(12, columns)) / 8).astype(np.float32)   # ties, zeros, negatives
    scores[5] = 0                        # nothing positive
    scores[6] = -1
    scores[6, ::3][:4] = 0.5             # fewer positive scores than wanted
    scores[7] = rng.random(columns, dtype=np.float32)        # no ties
    scores[8] = 1
    scores[8, ::20][:10] = 2             # the sampled columns overrate the row: it needs its exact k-th
    rows, cols = _largest(scores, 30)
    assert (rows.tolist(), cols.tolist()) == sorted_rows(scores, 30)


def test_threads_find_the_same_neighbours_and_peers() -> None:
    rng = np.random.default_rng(5)
    rates = csr_matrix(rng.random((40, 30)) * (rng.random((40, 30)) < 0.2), dtype=np.float32)
    one, two = (nearest_customers(rates, k=5, batch=7, threads=n) for n in (1, 2))
    assert one.nnz > 0 and (one != two).nnz == 0
    one, two = (peer_rates(rates, k=5, keep=10, batch=7, threads=n) for n in (1, 2))
    assert one.nnz > 0 and (one != two).nnz == 0
