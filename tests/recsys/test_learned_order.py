"""The learned discovery and repurchase orders: product signals, the reordering, learning one and keeping it
(pure logic)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from recsys import baselines, candidates, comparison, hybrid, learned_order, model
from recsys.learned_order import DISCOVERY, REPURCHASE
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


def fad_or_cycle(shoppers: int) -> pd.DataFrame:
    """`shoppers` customers each with two products bought before CUT, and in the fortnight after it one of them.

    A "fad" was in eight weekly baskets until five weeks ago and then no more; a "cycle" product comes every 30
    days, the last 20 days before CUT. Weighed by its share of the customer's baskets (the blend without its due
    factor) the fad comes first, yet the cycle product is the one bought again, when its interval comes round:
    what tells them apart (days since the last purchase against the usual interval) is a repurchase feature.
    """
    entries = [(f"t{n}", f"fad{n % 5}", f"t{n}-fad{w}", 35 + 7 * w) for n in range(shoppers) for w in range(8)]
    entries += [(f"t{n}", f"cycle{n % 5}", f"t{n}-cycle{w}", 20 + 30 * w) for n in range(shoppers) for w in range(3)]
    entries += [(f"t{n}", f"cycle{n % 5}", f"t{n}-next", 5) for n in range(shoppers)]
    return rows(*entries)


NO_DUE = hybrid.HybridSettings(due_strength=0.0)   # the blend by basket share alone


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
    """A stand-in model scoring each row by one of the kind's features (what `reordered` needs of a booster)."""

    def __init__(self, kind: learned_order.Kind, feature: str) -> None:
        self.column = kind.features.index(feature)

    def predict(self, x: np.ndarray, num_threads: int = 0) -> np.ndarray:
        return x[:, self.column]


def reordered_by_buyers(kind: learned_order.Kind, shoppers: int
                        ) -> tuple[baselines.Fold, candidates.Candidates, np.ndarray, np.ndarray]:
    """broad_or_niche's shoppers' candidates, their blend scores, and those of the kind reordered by a model
    scoring buyers; each shopper has also bought one to five of the niche products, once, long ago."""
    bought_once = rows(*[(f"t{n}", f"niche{k}", f"t{n}-old{k}", 60 + k) for n in range(shoppers)
                         for k in range(n % 5 + 1)])
    fold, _ = fold_of(pd.concat([broad_or_niche(shoppers), bought_once], ignore_index=True))
    settings = hybrid.HybridSettings()
    found = baselines.hybrid_candidates(fold, shopper_rows(fold, shoppers), settings)
    total = hybrid.personal_total(found.parts, settings)
    result = learned_order.reordered(kind, ByFeature(kind, "buyers"), fold.artifact.signals,
                                     fold.artifact.popularity, found, total, kind.of(found))
    return fold, found, total, result


@pytest.mark.parametrize("kind", learned_order.KINDS, ids=lambda kind: kind.name)
def test_reordering_hands_the_blends_places_of_a_kind_to_its_products_in_the_models_order(
        kind: learned_order.Kind) -> None:
    fold, found, total, result = reordered_by_buyers(kind, 40)
    eligible = kind.of(found)
    assert np.array_equal(result[~eligible], total[~eligible])   # the other kind keeps its scores
    buyers = fold.artifact.signals.buyers[found.cols]
    for row in range(40):
        mine = np.flatnonzero((found.rows == row) & eligible & np.isfinite(total))
        assert sorted(result[mine].tolist()) == sorted(total[mine].tolist())   # the same places
        lowest_above = np.inf          # filled in the model's order: a higher place never holds fewer buyers
        for place in np.unique(result[mine])[::-1]:
            held = buyers[mine][result[mine] == place]
            assert held.max() <= lowest_above
            lowest_above = held.min()
    assert not np.array_equal(result, total)
    assert learned_order.reordered(kind, None, fold.artifact.signals, fold.artifact.popularity, found, total,
                                   eligible) is total


def test_a_discovery_model_is_learnt_and_kept_when_it_beats_the_blend_on_held_out_customers() -> None:
    table = broad_or_niche(300)
    fold, targets = fold_of(table)
    settings = hybrid.HybridSettings()
    learnt = comparison.learn_order(DISCOVERY, fold, targets["new"], settings)
    assert learnt.model is not None and learnt.bought >= comparison.MIN_BOUGHT
    learned, blend = learnt.held_out
    assert learned > blend
    assert learnt.describe().startswith("learned (")
    # served: a shopper's best new offer is now a broad product, where the blend put a more popular one first
    shoppers = shopper_rows(fold, 5)
    without, with_model = (baselines.hybrid_scorer(replace(fold, artifact=_with(fold.artifact, discovery=m)),
                                                   settings)(shoppers) for m in (None, learnt.model))
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


def _with(artifact: model.Artifact, **boosters: object) -> model.Artifact:
    return replace(artifact, **boosters)


def test_a_repurchase_model_is_learnt_and_kept_when_it_beats_the_blend_on_held_out_customers() -> None:
    fold, targets = fold_of(fad_or_cycle(300))
    learnt = comparison.learn_order(REPURCHASE, fold, targets["all"], NO_DUE)
    assert learnt.model is not None and learnt.bought >= comparison.MIN_BOUGHT
    learned, blend = learnt.held_out
    assert learned > blend
    assert learnt.describe().startswith("learned (") and "all items" in learnt.describe()
    # served: a shopper's best offer is now the product whose interval comes round, where the blend put the fad
    shoppers = shopper_rows(fold, 5)
    for booster, first in ((None, "fad"), (learnt.model, "cycle")):
        listed = baselines.hybrid_scorer(replace(fold, artifact=_with(fold.artifact, repurchase=booster)),
                                         NO_DUE)(shoppers)
        for at in range(5):
            mine = np.flatnonzero(listed.rows == at)
            assert fold.ids.product_ids[listed.cols[mine[np.argmax(listed.scores[mine])]]].startswith(first)


def test_no_model_without_enough_purchases_of_the_kind_to_learn_from() -> None:
    fold, targets = fold_of(broad_or_niche(30))
    discovery = comparison.learn_order(DISCOVERY, fold, targets["new"], hybrid.HybridSettings())
    fold, targets = fold_of(fad_or_cycle(10))
    repurchase = comparison.learn_order(REPURCHASE, fold, targets["all"], NO_DUE)
    for kind, learnt in ((DISCOVERY, discovery), (REPURCHASE, repurchase)):
        assert learnt.model is None and learnt.bought < comparison.MIN_BOUGHT
        assert learnt.describe() == f"the blend's (too few {kind.name} candidates bought on validation to learn from)"


def test_the_served_ranking_uses_the_artifacts_learned_orders_and_they_survive_saving(tmp_path) -> None:  # type: ignore[no-untyped-def]
    discovery_fold, discovery_targets = fold_of(broad_or_niche(300))
    discovery = comparison.learn_order(DISCOVERY, discovery_fold, discovery_targets["new"], hybrid.HybridSettings())
    fold, targets = fold_of(fad_or_cycle(300))
    repurchase = comparison.learn_order(REPURCHASE, fold, targets["all"], NO_DUE)
    artifact = _with(discovery_fold.artifact, discovery=discovery.model, repurchase=repurchase.model)
    model.save(artifact, tmp_path)
    loaded = model.load(tmp_path)
    assert loaded.signals is not None
    for name in learned_order.ProductSignals.FIELDS:
        assert np.array_equal(getattr(loaded.signals, name), getattr(artifact.signals, name))
    for kind, learnt in ((DISCOVERY, discovery), (REPURCHASE, repurchase)):
        x = np.random.default_rng(0).random((50, len(kind.features))).astype(np.float32)
        assert np.array_equal(learned_order.predict(getattr(loaded, kind.name), x),
                              learned_order.predict(learnt.model, x))
    for source, first, owned in ((discovery_fold, "broad", False), (fold, "cycle", True)):
        served = _with(source.artifact, **{k.name: getattr(loaded, k.name) for k in learned_order.KINDS})
        customers = shopper_rows(source, 5)
        ranked = candidates.rank(served, source.matrix[customers], baselines._stats_of(source, customers),
                                 served.peers[customers], source.home[customers], np.ones(5, bool),
                                 replace(NO_DUE, list_size=10))
        for row in range(5):
            mine = (ranked.rows == row) & (ranked.owned == owned)
            assert served.ids.product_ids[ranked.cols[mine][0]].startswith(first)



def test_a_discovery_model_is_not_kept_when_it_orders_held_out_customers_new_products_worse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in for what LightGBM learns, ranking the products bought again and again first: worse than the blend
    monkeypatch.setattr(learned_order, "fit", lambda kind, x, bought: ByFeature(kind, "repeat_share"))
    fold, targets = fold_of(broad_or_niche(300))
    learnt = comparison.learn_order(DISCOVERY, fold, targets["new"], hybrid.HybridSettings())
    learned, blend = learnt.held_out
    assert learnt.bought >= comparison.MIN_BOUGHT and learned < blend
    assert learnt.model is None and learnt.describe().startswith("the blend's (a model was not better")


def test_a_repurchase_model_is_not_kept_when_it_orders_held_out_customers_purchases_no_better(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in ranking the product bought longest ago first: the fad, as the blend does
    monkeypatch.setattr(learned_order, "fit", lambda kind, x, bought: ByFeature(kind, "last"))
    fold, targets = fold_of(fad_or_cycle(300))
    learnt = comparison.learn_order(REPURCHASE, fold, targets["all"], NO_DUE)
    learned, blend = learnt.held_out
    assert learnt.bought >= comparison.MIN_BOUGHT and learned == blend < 1.0
    assert learnt.model is None and learnt.describe().startswith("the blend's (a model was not better")


@pytest.mark.parametrize("kind", learned_order.KINDS, ids=lambda kind: kind.name)
def test_only_each_customers_best_candidates_of_the_kind_by_the_blend_are_reordered(
        kind: learned_order.Kind, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learned_order, "POOL", 3)
    _, found, total, result = reordered_by_buyers(kind, 40)
    eligible = kind.of(found) & np.isfinite(total)
    reordered_rows = 0
    for row in range(40):
        mine = np.flatnonzero((found.rows == row) & eligible)
        best = mine[np.argsort(-total[mine], kind="stable")[:3]]
        rest = np.setdiff1d(mine, best)
        assert np.array_equal(result[rest], total[rest])                       # beyond the pool: untouched
        assert sorted(result[best].tolist()) == sorted(total[best].tolist())   # the pool: the same places
        reordered_rows += not np.array_equal(result[best], total[best])
    assert reordered_rows


def served_lists(artifact: model.Artifact, fold: baselines.Fold, customers: np.ndarray,
                 settings: hybrid.HybridSettings) -> candidates.Ranked:
    return candidates.rank(artifact, fold.matrix[customers], baselines._stats_of(fold, customers),
                           artifact.peers[customers], fold.home[customers], np.ones(len(customers), bool), settings)


def test_a_product_held_back_takes_no_place_from_the_learned_order_and_lists_are_served_as_judged() -> None:
    # each shopper also bought a one-off the day before: held back (recent, not due, no staple), and the most
    # recent purchase, which the stand-in model puts first of the repurchases
    one_offs = rows(*[(f"t{n}", f"oneoff{n % 5}", f"t{n}-oneoff", 15) for n in range(40)])
    fold, _ = fold_of(pd.concat([fad_or_cycle(40), one_offs], ignore_index=True))
    artifact = _with(fold.artifact, repurchase=ByFeature(REPURCHASE, "recency"))
    settings = replace(NO_DUE, list_size=10)
    customers = shopper_rows(fold, 5)
    ranked = served_lists(artifact, fold, customers, settings)
    judged = baselines.listed_scores(baselines.hybrid_candidates(fold, customers, settings), settings, artifact)
    for row in range(5):
        mine = np.flatnonzero((judged.rows == row) & np.isfinite(judged.scores))
        best = mine[np.lexsort((judged.cols[mine], -judged.scores[mine]))][:10]
        served = ranked.rows == row
        assert f"oneoff{row}" not in artifact.ids.product_ids[ranked.cols[served]]   # shopper t{row}'s own
        assert ranked.cols[served].tolist() == judged.cols[best].tolist()
        assert np.allclose(ranked.total[served], judged.scores[best])    # the rest keep the places' scores


class Counting(ByFeature):
    """ByFeature, counting the candidates it scores."""

    def __init__(self, kind: learned_order.Kind, feature: str) -> None:
        super().__init__(kind, feature)
        self.scored = 0

    def predict(self, x: np.ndarray, num_threads: int = 0) -> np.ndarray:
        self.scored += len(x)
        return super().predict(x, num_threads)


@pytest.mark.parametrize("list_size", [1, 2, 3, 5, 50])
def test_a_kinds_model_scores_only_customers_whose_lists_one_of_its_candidates_can_reach(
        list_size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    bought_once = rows(*[(f"t{n}", f"niche{k}", f"t{n}-old{k}", 60 + k) for n in range(40) for k in range(n % 5 + 1)])
    held_back = rows(*[(f"t{n}", f"oneoff{n % 3}", f"t{n}-oneoff", 15) for n in range(40)])   # the day before
    fold, _ = fold_of(pd.concat([broad_or_niche(40), bought_once, held_back], ignore_index=True))
    customers, settings = shopper_rows(fold, 40), hybrid.HybridSettings(list_size=list_size)

    def ranked() -> tuple[candidates.Ranked, int, int]:
        models = Counting(DISCOVERY, "buyers"), Counting(REPURCHASE, "buyers")
        artifact = _with(fold.artifact, discovery=models[0], repurchase=models[1])
        return served_lists(artifact, fold, customers, settings), models[0].scored, models[1].scored

    with_floor, *scored = ranked()
    monkeypatch.setattr(candidates, "_floor", lambda rows, cols, total, listed, n, n_rows: np.full(n_rows, -np.inf))
    every_customer, *scored_all = ranked()
    for field in ("rows", "cols", "total", "owned"):
        assert np.array_equal(getattr(with_floor, field), getattr(every_customer, field))
    assert all(n <= all_ for n, all_ in zip(scored, scored_all))
    if list_size == 1:      # a staple heads every list: no discovery candidate reaches it
        assert scored[0] == 0 < scored_all[0]
    if list_size == 50:     # no list is full, so every candidate reaches one
        assert scored == scored_all
