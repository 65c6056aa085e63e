"""Ranking metrics per customer and the paired comparison of two methods (pure logic)."""

from __future__ import annotations

from dataclasses import astuple
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix

from recsys.baselines import Listed, TifuSettings, _tifu_vectors
from recsys.evaluate import Truth, judge, judge_grid, paired_difference, truth
from recsys.history import encode
from recsys.interactions import DAY_S, IdMaps, id_maps


def _truth(bought: list[list[int]], products: int) -> Truth:
    rows = np.arange(len(bought))
    items = csr_matrix([[1.0 if p in b else 0.0 for p in range(products)] for b in bought], dtype=np.float32)
    return Truth(rows, items, np.array([len(b) for b in bought]), csr_matrix((len(bought), products)))


def test_the_next_basket_is_every_basket_of_the_first_moment_after_the_cut() -> None:
    cut = 100 * DAY_S
    table = pd.DataFrame([("c1", "o1", "p1", cut - 5), ("c1", "o2", "p2", cut + 10), ("c1", "o3", "p3", cut + 10),
                          ("c1", "o4", "p4", cut + 20), ("c2", "o5", "p4", cut + 30), ("c2", "o6", "p1", cut + 40)],
                         columns=["customer_id", "basket_id", "product_id", "at"]).assign(kind="purchase")
    fold = SimpleNamespace(cut=cut, ids=IdMaps(np.array(["c1", "c2"], dtype=object),
                                               np.array(["p1", "p2", "p3", "p4"], dtype=object)),
                           stats=SimpleNamespace(baskets=csr_matrix((2, 4), dtype=np.float32)))
    for rows in (table, table.iloc[::-1]):          # whatever the order the table comes in
        found = truth(rows, fold, "next_basket", 28, new_only=False)
        assert found.items.toarray().tolist() == [[0, 1, 1, 0], [0, 0, 0, 1]]


def test_each_customers_ndcg_is_kept_and_averages_to_the_reported_mean() -> None:
    target = _truth([[0], [1], [2, 3]], products=5)
    ranking = np.array([[5, 4, 3, 2, 1], [5, 4, 3, 2, 1], [5, 4, 3, 2, 1]], dtype=np.float32)  # 0 first for all
    judged = judge(lambda rows: ranking[rows].copy(), target, (2,), False)
    assert judged.ndcg[2] == pytest.approx([1.0, 1 / np.log2(3), 0.0])
    assert judged.means[2]["ndcg"] == pytest.approx(judged.ndcg[2].mean())


def test_a_paired_difference_says_how_sure_it_is() -> None:
    rng = np.random.default_rng(4)
    base = rng.uniform(0, 1, 600)
    assert astuple(paired_difference(base + 0.05, base)) == pytest.approx((0.05, 0.05, 0.05))   # same for all
    clear = paired_difference(base + rng.normal(0.05, 0.1, 600), base)
    assert 0 < clear.low < 0.05 < clear.high
    unclear = paired_difference(base + rng.normal(0.0, 0.1, 600), base)
    assert unclear.low < 0 < unclear.high
    assert paired_difference(base, base + 0.01).high < 0


@pytest.mark.parametrize("new_only", [False, True])
def test_listed_scores_are_judged_as_dense_rows_that_show_nothing_else(new_only: bool) -> None:
    rng = np.random.default_rng(5)
    target = Truth(np.arange(30), csr_matrix(rng.random((30, 40)) < 0.1, dtype=np.float32),
                   np.full(30, 6), csr_matrix(rng.random((30, 40)) < 0.2, dtype=np.float32))
    target = Truth(target.rows, target.items, np.maximum(np.asarray(target.items.sum(axis=1)).ravel(), 1).astype(int),
                   target.history)
    dense = rng.random((30, 40)).astype(np.float32)
    listed = rng.random((30, 40)) < 0.4
    rows, cols = np.nonzero(listed)

    def as_listed(batch: np.ndarray) -> Listed:
        keep = np.isin(rows, batch)
        return Listed(np.searchsorted(batch, rows[keep]), cols[keep], dense[rows[keep], cols[keep]])

    judged = judge(as_listed, target, (5, 10), new_only)
    expected = judge(lambda batch: np.where(listed, dense, -np.inf)[batch], target, (5, 10), new_only)
    for k in (5, 10):
        assert judged.means[k] == pytest.approx(expected.means[k])
    assert judged.ndcg[5] == pytest.approx(expected.ndcg[5])


@pytest.mark.parametrize("new_only", [False, True])
def test_truths_judged_together_score_as_each_judged_alone_and_share_the_work(new_only: bool) -> None:
    rng = np.random.default_rng(6)
    history = rng.random((40, 30)) < 0.2
    scores = rng.random((40, 30)).astype(np.float32)

    def truth_of(customers: np.ndarray) -> Truth:
        items = csr_matrix(rng.random((len(customers), 30)) < 0.15, dtype=np.float32)
        sizes = np.maximum(np.asarray(items.sum(axis=1)).ravel(), 1).astype(int)
        return Truth(customers, items, sizes, csr_matrix(history[customers], dtype=np.float32))

    first, second = truth_of(np.arange(0, 40, 2)), truth_of(np.arange(0, 40, 3))   # some customers in both
    prepared: list[int] = []

    def prepare(rows: np.ndarray) -> np.ndarray:
        prepared.extend(rows.tolist())
        return rows

    scorers = [lambda rows: scores[rows].copy(), lambda rows: -scores[rows]]
    together = judge_grid(prepare, scorers, [first, second], (3, 10), new_only, batch=8)
    assert sorted(prepared) == sorted(set(first.rows) | set(second.rows))   # each customer prepared once
    for t, target in enumerate((first, second)):
        for s, scorer in enumerate(scorers):
            alone = judge(scorer, target, (3, 10), new_only)
            for k in (3, 10):
                assert together[t][s].means[k] == pytest.approx(alone.means[k])
            assert together[t][s].ndcg[10] == pytest.approx(alone.ndcg[10])


def test_tifu_knn_does_not_depend_on_the_order_interactions_arrive_in() -> None:
    # two receipts of one moment: which is the newer basket in TIFU-KNN's decay must not follow arrival order
    now = 1_700_000_000
    table = pd.DataFrame({"customer_id": ["c"] * 5, "product_id": ["tea", "jam", "tea", "milk", "tea"],
                          "basket_id": ["r1", "r1", "r2", "r3", "r4"],
                          "at": [now - DAY_S, now - DAY_S, now - 5 * DAY_S, now - 5 * DAY_S, now - 9 * DAY_S],
                          "kind": ["purchase"] * 5})
    ids = id_maps(table)
    settings = TifuSettings(group_size=2, within=0.5, across=0.25)
    vectors = [_tifu_vectors(encode(t, ids), (1, 3), settings).toarray()
               for t in (table, table.iloc[::-1].assign(basket_id=["x9", "x8", "x7", "x6", "x6"]))]
    assert vectors[0] == pytest.approx(vectors[1])
