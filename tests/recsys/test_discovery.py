"""The learned discovery order: product signals, the reordering, learning it and keeping it (pure logic)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from recsys import baselines, candidates, comparison, discovery, hybrid, model
from recsys.interactions import DAY_S, InteractionSettings, id_maps
from recsys.training import train

NOW = 1_700_000_000
CUT = NOW - 14 * DAY_S


def rows(*entries: tuple[str, str, str, float]) -> pd.DataFrame:
    """(customer, product, basket, days ago) purchases -> an interaction table."""
    return pd.DataFrame([{"customer_id": c, "product_id": p, "basket_id": b, "at": int(NOW - d * DAY_S),
                          "kind": "purchase", "store_id": "s1", "channel_id": "pos"} for c, p, b, d in entries])


def broad_or_niche(shoppers: int) -> pd.DataFrame:
    """`shoppers` customers buying their staple weekly, then in the fortnight after CUT each a product new to them.

    What they buy new is one of five "broad" products, each bought once by 30 other customers; the other
    shoppers' staples and five "niche" products (two heavy buyers, 30 baskets each) sell more, each to few
    customers again and again. The blend ranks those first (popularity, customers like you); what tells the broad
    ones apart (a low repeat share) is one of the discovery features.
    """
    entries = [(f"t{n}", f"staple{n % 5}", f"t{n}-{w}", 100 - 7 * w) for n in range(shoppers) for w in range(10)]
    entries += [(f"t{n}", f"broad{n % 5}", f"t{n}-new", 10 - n % 7) for n in range(shoppers)]
    entries += [(f"f{n}", f"broad{n % 5}", f"f{n}-1", 40 + n % 20) for n in range(150)]
    entries += [(f"h{n}", f"niche{n % 5}", f"h{n}-{w}", 20 + 2 * w) for n in range(10) for w in range(30)]
    return rows(*entries)


def fold_of(table: pd.DataFrame) -> tuple[baselines.Fold, dict]:
    fold = baselines.make_fold(table, CUT, model.ModelSettings(factors=4, iterations=3), InteractionSettings(), {},
                               hybrid.HybridSettings())
    return fold, comparison.protocol_targets(table, fold, 14)


def test_product_signals_count_buyers_repeats_recent_sales_and_age() -> None:
    table = rows(("a", "milk", "a1", 30), ("a", "milk", "a2", 20), ("b", "milk", "b1", 10), ("b", "tea", "b1", 3),
                 ("b", "tea", "b2", 2))
    ids = id_maps(table)
    artifact = train(table, model.ModelSettings(factors=2, iterations=1), InteractionSettings(), NOW)
    signals = artifact.signals
    assert signals is not None and ids.product_ids.tolist() == ["milk", "tea"]
    assert np.allclose(np.expm1(signals.buyers), [2, 1])
    assert np.allclose(signals.repeat_share, [(1 + 1) / (2 + 4), (1 + 1) / (1 + 4)])   # a's milk, b's tea
    assert np.allclose(np.expm1(signals.recent_sales), [1, 2])                          # within 14 days
    assert np.allclose(np.expm1(signals.age_days), [30, 3], atol=1e-4)


class ByFeature:
    """A stand-in model scoring each row by one feature (what `reordered` needs of a booster: predict)."""

    def __init__(self, feature: str) -> None:
        self.column = discovery.FEATURES.index(feature)

    def predict(self, x: np.ndarray, num_threads: int = 0) -> np.ndarray:
        return x[:, self.column]


def reordered_by_buyers(shoppers: int) -> tuple[baselines.Fold, candidates.Candidates, np.ndarray, np.ndarray]:
    """broad_or_niche's shoppers' candidates, their blend scores, and those reordered by a model scoring buyers."""
    fold, _ = fold_of(broad_or_niche(shoppers))
    settings = hybrid.HybridSettings()
    found = baselines.hybrid_candidates(fold, np.arange(shoppers), settings)
    total = hybrid.personal_total(found.parts, settings)
    result = discovery.reordered(ByFeature("buyers"), fold.artifact.signals, fold.artifact.popularity, found,
                                 total, found.bought == 0)
    return fold, found, total, result


def test_reordering_hands_the_blends_places_to_never_bought_products_in_the_models_order() -> None:
    fold, found, total, result = reordered_by_buyers(40)
    eligible = found.bought == 0
    assert np.array_equal(result[~eligible], total[~eligible])
    buyers = fold.artifact.signals.buyers[found.cols]
    for row in range(40):
        mine = np.flatnonzero((found.rows == row) & eligible)
        assert sorted(result[mine].tolist()) == sorted(total[mine].tolist())   # the same places
        lowest_above = np.inf          # filled in the model's order: a higher place never holds fewer buyers
        for place in np.unique(result[mine])[::-1]:
            held = buyers[mine][result[mine] == place]
            assert held.max() <= lowest_above
            lowest_above = held.min()
    assert not np.array_equal(result, total)
    assert discovery.reordered(None, fold.artifact.signals, fold.artifact.popularity, found, total,
                               eligible) is total


def test_a_discovery_model_is_learnt_and_kept_when_it_beats_the_blend_on_held_out_customers() -> None:
    table = broad_or_niche(300)
    fold, targets = fold_of(table)
    settings = hybrid.HybridSettings()
    learnt = comparison.learn_discovery(fold, targets["new"], settings)
    assert learnt.model is not None and learnt.bought >= comparison.MIN_DISCOVERIES
    learned, blend = learnt.held_out
    assert learned > blend
    assert learnt.describe().startswith("learned (")
    # served: a shopper's best new offer is now a broad product, where the blend put a more popular one first
    shoppers = shopper_rows(fold, 5)
    without, with_model = (baselines.hybrid_scorer(replace(fold, artifact=_with(fold.artifact, m)), settings)(
        shoppers) for m in (None, learnt.model))
    for listed, broad in ((without, False), (with_model, True)):
        for at, row in enumerate(shoppers):
            owned = fold.stats.baskets[row].toarray().ravel() > 0
            mine = np.flatnonzero((listed.rows == at) & ~owned[listed.cols] & np.isfinite(listed.scores))
            best = mine[np.argmax(listed.scores[mine])]
            assert fold.ids.product_ids[listed.cols[best]].startswith("broad") == broad


def shopper_rows(fold: baselines.Fold, n: int) -> np.ndarray:
    """The fold rows of the first n shoppers (t0, t1, ...)."""
    index = fold.ids.customer_index()
    return np.array([index[f"t{k}"] for k in range(n)])


def _with(artifact: model.Artifact, booster: object) -> model.Artifact:
    return replace(artifact, discovery=booster)


def test_no_discovery_model_without_enough_new_purchases_to_learn_from() -> None:
    table = broad_or_niche(30)
    fold, targets = fold_of(table)
    learnt = comparison.learn_discovery(fold, targets["new"], hybrid.HybridSettings())
    assert learnt.model is None and learnt.bought == 0
    assert "too few" in learnt.describe()


def test_the_served_ranking_uses_the_artifacts_discovery_model_and_it_survives_saving(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = broad_or_niche(300)
    fold, targets = fold_of(table)
    learnt = comparison.learn_discovery(fold, targets["new"], hybrid.HybridSettings())
    artifact = _with(fold.artifact, learnt.model)
    model.save(artifact, tmp_path)
    loaded = model.load(tmp_path)
    assert loaded.signals is not None
    for name in discovery.ProductSignals.FIELDS:
        assert np.array_equal(getattr(loaded.signals, name), getattr(artifact.signals, name))
    x = np.random.default_rng(0).random((50, len(discovery.FEATURES))).astype(np.float32)
    assert np.array_equal(discovery.predict(loaded.discovery, x), discovery.predict(learnt.model, x))
    customers = shopper_rows(fold, 5)
    stats = baselines._stats_of(fold, customers)
    ranked = candidates.rank(loaded, fold.matrix[customers], stats, loaded.peers[customers], fold.home[customers],
                             np.ones(5, bool), hybrid.HybridSettings(list_size=10))
    for row in range(5):
        mine = (ranked.rows == row) & ~ranked.owned
        assert loaded.ids.product_ids[ranked.cols[mine][0]].startswith("broad")



def test_a_discovery_model_is_not_kept_when_it_orders_held_out_customers_new_products_worse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in for what LightGBM learns, ranking the products bought again and again first: worse than the blend
    monkeypatch.setattr(discovery, "fit", lambda x, bought: ByFeature("repeat_share"))
    fold, targets = fold_of(broad_or_niche(300))
    learnt = comparison.learn_discovery(fold, targets["new"], hybrid.HybridSettings())
    learned, blend = learnt.held_out
    assert learnt.bought >= comparison.MIN_DISCOVERIES and learned < blend
    assert learnt.model is None and learnt.describe().startswith("the blend's (a model was not better")


def test_only_each_customers_best_never_bought_candidates_by_the_blend_are_reordered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "POOL", 3)
    _, found, total, result = reordered_by_buyers(40)
    eligible = found.bought == 0
    reordered_rows = 0
    for row in range(40):
        mine = np.flatnonzero((found.rows == row) & eligible)
        best = mine[np.argsort(-total[mine], kind="stable")[:3]]
        rest = np.setdiff1d(mine, best)
        assert np.array_equal(result[rest], total[rest])                       # beyond the pool: untouched
        assert sorted(result[best].tolist()) == sorted(total[best].tolist())   # the pool: the same places
        reordered_rows += not np.array_equal(result[best], total[best])
    assert reordered_rows
