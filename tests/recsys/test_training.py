"""Interaction weights, training and the offline comparison on small in-memory tables (pure logic)."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from recsys import baselines, comparison, hybrid, model
from recsys.comparison import METHODS, MIN_BOUGHT, WEIGHTS, compare, markdown, tuned_weights
from recsys.evaluate import METRICS
from recsys.history import BasketDecay
from recsys.interactions import DAY_S, InteractionSettings, id_maps, weighted_matrix
from recsys.realtime import _visited_most
from recsys.training import home_store_index, home_stores, train

NOW = 1_700_000_000


def rows(*entries: tuple[str, str, str, float, str]) -> pd.DataFrame:
    """(customer, product, basket, days ago, kind) -> an interaction table."""
    return pd.DataFrame([{"customer_id": c, "product_id": p, "basket_id": b, "at": int(NOW - d * DAY_S), "kind": k,
                          "store_id": "s1", "channel_id": "pos"} for c, p, b, d, k in entries])


def test_a_customers_home_store_is_where_most_of_their_baskets_were() -> None:
    lines = [  # (customer, basket, store, at)
        (0, 10, 1, 100), (0, 10, 1, 100), (0, 10, 1, 100), (0, 11, 2, 50), (0, 12, 2, 60),  # baskets, not lines
        (1, 20, 0, 300), (1, 21, 1, 100), (1, 22, 1, 200), (1, 23, 0, 50),    # two each: the latest basket's store
        (2, 30, 2, 70), (2, 31, 1, 70),                                       # one each at once: the lower index
        (3, 40, -1, 10), (-1, 41, 0, 10),                                     # unknown store, unknown customer
        (4, 10, 0, 5)]                                                        # a basket code counts per customer
    customer, basket, store, at = (np.array(column) for column in zip(*lines))
    assert home_store_index(customer, basket, store, at, 6).tolist() == [2, 0, 1, -1, 0, -1]


def test_the_worker_infers_the_home_store_the_precompute_infers() -> None:
    rng = np.random.default_rng(11)
    n = 3_000        # few stores and times, so that many customers visit two stores equally often
    table = pd.DataFrame({"customer_id": [f"c{i}" for i in rng.integers(0, 210, n)],
                          "product_id": "p1", "basket_id": [f"b{i}" for i in rng.integers(0, 900, n)],
                          "at": rng.integers(0, 4, n) * DAY_S, "kind": rng.choice(["purchase", "view"], n),
                          "store_id": rng.choice(["s1", "s2", "s3", None], n), "channel_id": "pos"})
    table["at"] = table.groupby("basket_id")["at"].transform("first")   # a basket has one time and one store
    table["store_id"] = table.groupby("basket_id")["store_id"].transform("first")
    table = table[(table["customer_id"].str[1:].astype(int) < 200) | (table["kind"] == "view")]   # some never bought
    ids = np.array(sorted(table["customer_id"].unique()), dtype=object)
    store_ids = np.array(["s1", "s2", "s3"], dtype=object)
    batch = home_stores(table, ids, store_ids)
    stores = {s: i for i, s in enumerate(store_ids)}
    fields = ["product_id", "basket_id", "at", "kind", "store_id"]
    alone = [_visited_most(table[table["customer_id"] == c][fields].values.tolist(), stores) for c in ids]
    assert batch.tolist() == alone and len(set(alone)) == 4


def test_weights_per_kind_once_per_basket_with_recency_decay() -> None:
    table = rows(("c1", "milk", "o1", 0, "purchase"), ("c1", "milk", "o1", 0, "purchase"),
                 ("c1", "milk", "o2", 120, "purchase"), ("c1", "jam", "e1", 0, "view"))
    ids = id_maps(table)
    matrix = weighted_matrix(table, ids, InteractionSettings(half_life_days=120), NOW).toarray()
    assert matrix[0].tolist() == pytest.approx([0.1, 1.5])   # jam: one view; milk: 1 + 1/2 (one half-life ago)


def test_a_return_takes_the_purchase_back_and_never_goes_negative() -> None:
    table = rows(("c1", "kettle", "o1", 10, "purchase"), ("c1", "kettle", "r1", 9, "return"),
                 ("c1", "toast", "r2", 9, "return"))
    matrix = weighted_matrix(table, id_maps(table), InteractionSettings(half_life_days=0), NOW)
    assert matrix.nnz == 0


@pytest.mark.parametrize("algorithm", model.ALGORITHMS)
def test_every_algorithm_trains_saves_and_loads(algorithm: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = rows(*[(f"c{n}", p, f"o{n}-{w}", 7 * w + 1, "purchase") for n in range(6) for w in range(3)
                   for p in (("a", "b", "c") if n % 2 else ("x", "y", "z"))])
    artifact = train(table, model.ModelSettings(algorithm=algorithm, factors=4, iterations=3, neighbours=5),
                     InteractionSettings(), NOW)
    model.save(artifact, tmp_path)
    loaded = model.load(tmp_path)
    assert loaded.version == artifact.version == model.latest_version(tmp_path)
    assert loaded.counts == {"customers": 6, "products": 6, "interactions": 54, "matrix_entries": 18}
    assert loaded.ids.product_ids.tolist() == ["a", "b", "c", "x", "y", "z"]
    assert artifact.peers.nnz and (loaded.peers != artifact.peers).nnz == 0
    # c1's 5 nearest: c3 and c5 buy a, b, c in every basket, the 3 others never; an unknown customer has none
    assert np.allclose(loaded.peers_of(np.array(["c1", "new"], dtype=object)).toarray(),
                       [[0.4, 0.4, 0.4, 0, 0, 0], [0, 0, 0, 0, 0, 0]])


def test_an_earlier_version_can_be_made_the_latest_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = rows(*[(f"c{n}", p, f"o{n}", 1, "purchase") for n in range(4) for p in ("a", "b")])
    first = train(table, model.ModelSettings(factors=2, iterations=1), InteractionSettings(), NOW)
    model.save(first, tmp_path / "shop")
    model.save(replace(first, version=f"{first.version}-next"), tmp_path / "shop")
    assert model.trained_retailers(tmp_path) == ["shop"] and model.trained_retailers(tmp_path / "none") == []
    assert model.latest_version(tmp_path / "shop") == f"{first.version}-next"
    model.point_latest(tmp_path / "shop", first.version)
    assert model.load(tmp_path / "shop").version == first.version
    with pytest.raises(FileNotFoundError, match="no model version gone"):
        model.point_latest(tmp_path / "shop", "gone")
    assert model.latest_version(tmp_path / "shop") == first.version
    shutil.copytree(tmp_path / "shop" / first.version, tmp_path / "shop" / "copied")
    model.point_latest(tmp_path / "shop", "copied")
    with pytest.raises(ValueError, match=f"names version '{first.version}', not its folder's 'copied'"):
        model.load(tmp_path / "shop")


@pytest.mark.parametrize("algorithm", ["als", "cosine", "bm25"])
def test_a_model_trained_on_two_threads_is_the_one_trained_on_one(algorithm: str) -> None:
    # what lets `c360 train` use every core by default (BPR keeps to one: its parallel updates differ run to run)
    rng = np.random.default_rng(8)
    table = rows(*[(f"c{rng.integers(60)}", f"p{rng.zipf(1.6) % 40}", f"o{n // 4}", float(n % 50), "purchase")
                   for n in range(2_000)])
    one, two = (train(table, model.ModelSettings(algorithm=algorithm, factors=8, iterations=4, threads=n),
                      InteractionSettings(), NOW) for n in (1, 2))
    if algorithm == "als":
        assert np.array_equal(one.model.user_factors, two.model.user_factors)
        assert np.array_equal(one.model.item_factors, two.model.item_factors)
    else:
        assert one.model.similarity.nnz and (one.model.similarity != two.model.similarity).nnz == 0
    assert one.neighbours.nnz and (one.neighbours != two.neighbours).nnz == 0
    assert one.peers.nnz and (one.peers != two.peers).nnz == 0


def test_the_comparison_judges_every_method_on_both_protocols() -> None:
    rng = np.random.default_rng(1)
    entries = []
    for n in range(40):
        taste = ("a", "b", "c", "d") if n % 2 else ("w", "x", "y", "z")
        for week in range(12):
            picked = rng.choice(taste, size=2, replace=False)
            entries += [(f"c{n}", p, f"o{n}-{week}", 84 - 7 * week, "purchase") for p in picked]
    table = rows(*entries)
    report = compare(table, NOW - 14 * DAY_S, 7, {})
    for protocol in ("next_basket", "next_period"):
        for mode in ("all", "new"):
            assert list(report.results[protocol][mode]) == list(METHODS)
            for result in report.results[protocol][mode].values():
                assert set(result) == {10, 20}
                assert all(0.0 <= result[k][m] <= 1.0 for k in (10, 20) for m in METRICS)
    assert report.results["next_basket"]["all"]["personal_top_frequency"][10]["hit_rate"] == 1.0
    assert any(line.startswith("| hybrid |") for line in markdown(report))
    for per_mode in report.versus.values():
        for versus in per_mode.values():
            assert versus.baseline in METHODS and versus.baseline != "hybrid"
            assert versus.difference.low <= versus.difference.mean <= versus.difference.high
    assert sum("paired bootstrap" in line for line in markdown(report)) == 4


def test_the_hybrid_is_judged_with_the_basket_decay_it_was_tuned_with() -> None:
    rng = np.random.default_rng(3)
    table = rows(*[(f"c{n}", p, f"o{n}-{week}", 84 - 3 * week, "purchase") for n in range(6) for week in range(20)
                   for p in rng.choice(("a", "b", "c", "d", "e"), size=2, replace=False)])
    settings = model.ModelSettings(factors=4, iterations=3)
    slow = hybrid.HybridSettings(basket_decay=BasketDecay(across=0.9))
    default_fold, slow_fold = (baselines.make_fold(table, NOW, settings, InteractionSettings(), {}, s)
                               for s in (hybrid.HybridSettings(), slow))
    customers = np.arange(6)
    assert not np.allclose(default_fold.stats.rate.toarray(), slow_fold.stats.rate.toarray())
    judged, expected = (baselines.hybrid_scorer(fold, slow)(customers) for fold in (default_fold, slow_fold))
    assert (judged.rows.tolist(), judged.cols.tolist()) == (expected.rows.tolist(), expected.cols.tolist())
    assert np.allclose(judged.scores, expected.scores)


def test_the_judged_hybrid_ranks_every_candidate_not_only_the_served_lists_length() -> None:
    # judged on new items, a served list of repurchases would leave nothing: every candidate must be ranked
    table = rows(*[(f"c{n}", p, f"o{n}-{week}", 84 - 7 * week, "purchase") for n in range(8) for week in range(12)
                   for p in (("a", "b", "c", "d") if n % 2 else ("w", "x", "y", "z"))])
    fold = baselines.make_fold(table, NOW, model.ModelSettings(factors=4, iterations=3), InteractionSettings(), {},
                               hybrid.HybridSettings())
    listed = baselines.hybrid_scorer(fold, hybrid.HybridSettings(list_size=4))(np.arange(8))
    finite = np.isfinite(listed.scores)
    bought = np.asarray(fold.stats.baskets[listed.rows[finite], listed.cols[finite]]).ravel() > 0
    assert np.bincount(listed.rows[finite][~bought], minlength=8).min() >= 4   # the other taste's products


def test_weights_are_tuned_on_the_last_days_of_sales_and_left_alone_without_any() -> None:
    rng = np.random.default_rng(2)
    entries = []
    for n in range(30):
        taste = ("a", "b", "c", "d") if n % 2 else ("w", "x", "y", "z")
        entries += [(f"c{n}", p, f"o{n}-{week}", 400 + 84 - 7 * week, "purchase")   # sales stopped 400 days ago
                    for week in range(12) for p in rng.choice(taste, size=2, replace=False)]
    table = rows(*entries)
    tuned = tuned_weights(table, NOW, 14, model.ModelSettings(factors=4, iterations=3), InteractionSettings(), {})
    assert set(tuned.weights) == set(WEIGHTS)   # counted back from NOW, the last 14 days would hold no basket
    assert [order.kind.name for order in tuned.orders] == ["discovery", "repurchase"]
    discovery, repurchase = tuned.orders
    assert discovery.model is None and discovery.bought < MIN_BOUGHT   # 30 customers buying nothing new
    learned, blend = repurchase.held_out   # the repurchases are enough to learn from, kept only if better
    assert repurchase.bought >= MIN_BOUGHT and (repurchase.model is not None) == (learned > blend)
    views_only = table.assign(kind="view")
    nothing = tuned_weights(views_only, NOW, 14, model.ModelSettings(factors=4, iterations=3), InteractionSettings(),
                            {})
    assert nothing.weights == {} and nothing.orders == ()


def test_tuning_scores_a_weighting_on_the_next_basket_and_the_whole_period_alike(
        monkeypatch: pytest.MonkeyPatch) -> None:
    table = rows(*[(f"c{n}", p, f"o{n}-{w}", 60 - 7 * w, "purchase") for n in range(6) for w in range(8)
                   for p in ("a", "b")])
    fold = baselines.make_fold(table, NOW - 14 * DAY_S, model.ModelSettings(factors=4, iterations=3),
                               InteractionSettings(), {}, hybrid.HybridSettings())
    targets = comparison.protocol_targets(table, fold, 14)
    assert [len(t.rows) for t in targets["all"]] == [6, 6]   # next basket, then the period: one truth each
    grid = [hybrid.HybridSettings(repurchase=r) for r in (1.0, 2.0, 3.0)]
    ndcg = {id(targets["all"][0]): [0.30, 0.31, 0.20], id(targets["all"][1]): [0.50, 0.40, 0.50]}
    monkeypatch.setattr(comparison, "_scored", lambda f, targets, new_only, g: [
        [{10: {"ndcg": v}} for v in ndcg[id(target)][:len(g)]] for target in targets])
    assert comparison._best(fold, targets["all"], False, grid).repurchase == 1.0   # not 2.0, the next basket's best
