"""Tune every method on a validation cut, then judge all of them on the test cut.

Validation: train before `cut - period_days`, truth = what customers bought after that, within the period
(before the test cut), under both protocols: their next basket, and the whole period. Each baseline keeps its
best configuration per mode (all / new items) by NDCG@10 there, averaged over the two protocols;
the hybrid's discovery weights are tuned on new items, then its repurchase weights and the weighting of the
customer's history (basket decay, staples) on all items, and its learned orders (recsys.learned_order) are learnt
there: discovery on new items, repurchase on all items.
The test fold is then trained on everything before `cut` with the chosen configurations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from operator import attrgetter
from statistics import fmean
from typing import Any

import numpy as np
import pandas as pd

from recsys import baselines as b, learned_order
from recsys.candidates import Candidates, lookup
from recsys.evaluate import (DAY_S, PROTOCOLS, Difference, Judged, Truth, judge_grid, metrics_grid,
                             paired_difference, truth)
from recsys.history import BasketDecay
from recsys.hybrid import HybridSettings
from recsys.interactions import InteractionSettings
from recsys.model import ModelSettings, fit

MODES = ("all", "new")
METHODS = ("global_popular", "store_popular", "personal_top_frequency", "tifu_knn", "item_knn", "als", "bpr",
           "hybrid")
GRIDS: dict[str, list[Any]] = {
    "tifu_knn": [b.TifuSettings(alpha=a, neighbours=k) for a in (0.5, 0.7, 0.9) for k in (100, 300)],
    "item_knn": [ModelSettings(algorithm=a, neighbours=k) for a in ("cosine", "bm25") for k in (50, 200)],
    "als": [ModelSettings(factors=f, alpha=a) for f in (32, 64, 128) for a in (1.0, 4.0)],
    "bpr": [ModelSettings(algorithm="bpr", factors=64, learning_rate=lr) for lr in (0.01, 0.05)],
}
# collaborative, item-kNN, popular, customers like you (on products not bought)
DISCOVERY_GRID = [(c, n, p, w) for c in (0.0, 0.5, 1.0) for n in (0.0, 0.5, 1.0) for p in (0.0, 0.1, 0.3)
                  for w in (0.0, 1.0, 2.0) if c + n + w > 0]
# repurchase, due strength, customers like you on products bought (as a share of repurchase)
REPURCHASE_GRID = [(r, d, b) for r in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0) for d in (0.0, 0.5, 1.0)
                   for b in (0.0, 0.25, 0.5, 1.0)]
# decay across basket groups, share of the customer's baskets that makes a product a staple (exempt from the
# recent-purchase rule)
HISTORY_GRID = [(a, s) for a in (0.5, 0.6, 0.7, 0.8) for s in (0.05, 0.1, 0.2)]
# the HybridSettings fields tuning sets (basket_decay.across: a field of HybridSettings.basket_decay)
WEIGHTS = ("repurchase", "due_strength", "collaborative", "neighbours", "popular", "peers_new", "peers_bought",
           "staple_share", "basket_decay.across")
Results = dict[str, dict[str, dict[str, dict[int, dict[str, float]]]]]  # protocol -> mode -> method -> k
MIN_BOUGHT = 50             # candidates of a kind bought in the period below which no model of it is learnt
LEARNING_CUSTOMERS = 5_000  # customers a learned order learns from at most (a seeded sample beyond)


@dataclass
class Report:
    """Test metrics per protocol, mode and method, and the configuration each method was judged with."""

    cut: str
    period_days: int
    customers: dict[str, dict[str, int]] = field(default_factory=dict)
    results: Results = field(default_factory=dict)
    chosen: dict[str, dict[str, str]] = field(default_factory=dict)
    versus: dict[str, dict[str, Versus]] = field(default_factory=dict)   # protocol -> mode
    orders: dict[str, str] = field(default_factory=dict)   # how the hybrid orders each kind (LearnedOrder.describe)


@dataclass(frozen=True)
class LearnedOrder:
    """A learned order's model, learnt on a validation fold (recsys.learned_order), or None; and the evidence."""

    kind: learned_order.Kind
    model: Any
    candidates: int = 0
    bought: int = 0
    held_out: tuple[float, float] = (0.0, 0.0)   # NDCG@10 of the held-out half (new or all items): model, blend

    def describe(self) -> str:
        learned, blend = self.held_out
        items = "all items" if self.kind.bought_before else "new items"
        if self.bought < MIN_BOUGHT:
            return f"the blend's (too few {self.kind.name} candidates bought on validation to learn from)"
        evidence = (f"{self.candidates:,} candidates, {self.bought:,} bought; on held-out customers' {items} "
                    f"NDCG@10 {learned:.4f} against the blend's {blend:.4f}")
        if self.model is None:
            return f"the blend's (a model was not better: {evidence})"
        return f"learned ({evidence})"


@dataclass(frozen=True)
class Tuned:
    """What `c360 train` stores for the served lists: blend weights ({} = the defaults) and learned orders."""

    weights: dict[str, float]
    orders: tuple[LearnedOrder, ...]

    def artifact_fields(self) -> dict[str, Any]:
        """Artifact field -> value: the weights and each learned order's model (None: the blend's order)."""
        return {"weights": self.weights, **{order.kind.name: order.model for order in self.orders}}


@dataclass(frozen=True)
class Versus:
    """The hybrid against the best other method of one table, NDCG@10 per customer, paired."""

    baseline: str
    difference: Difference

    @property
    def verdict(self) -> str:
        """better / worse when the interval excludes 0, else level."""
        return "better" if self.difference.low > 0 else "worse" if self.difference.high < 0 else "level"

    def describe(self) -> str:
        d = self.difference
        return (f"hybrid - {self.baseline} (the best other method), NDCG@10 per customer: {d.mean:+.4f}, "
                f"95% interval {d.low:+.4f} to {d.high:+.4f} (paired bootstrap): {self.verdict}")


def compare(table: pd.DataFrame, cut: int, period_days: int, categories: dict[str, str],
            ks: tuple[int, ...] = (10, 20), step: Callable[[str], None] = lambda _: None) -> Report:
    """The full comparison; `step` is called with a description before each long step."""
    interaction_settings = InteractionSettings()
    step("validation fold")
    validation = b.make_fold(table[table["at"] < cut], cut - period_days * DAY_S, ModelSettings(),
                             interaction_settings, categories, HybridSettings())
    chosen, learnt = _tune(table[table["at"] < cut], validation, period_days, step)
    step("test fold")
    test = b.make_fold(table, cut, replace(chosen["als"]["all"]), interaction_settings, categories,
                       HybridSettings())
    test = replace(test, artifact=replace(test.artifact, **{o.kind.name: o.model for o in learnt}))
    report = Report(cut=pd.Timestamp(cut, unit="s", tz="UTC").isoformat(), period_days=period_days,
                    orders={o.kind.name: o.describe() for o in learnt})
    report.chosen = {m: {mode: _describe(c) for mode, c in per.items()} for m, per in chosen.items()}
    scorers: dict[tuple[str, str], b.Scorer] = {}   # built once per method and configuration
    for mode, targets in protocol_targets(table, test, period_days).items():
        judged: dict[str, list[Judged]] = {}   # method -> one per protocol, each customer ranked once for both
        for method in METHODS:
            step(f"test {mode} items: {method}")
            config = chosen[method][mode]
            key = (method, _describe(config))
            scorer = scorers[key] = scorers.get(key) or _scorer(test, method, config)
            judged[method] = [per[0] for per in judge_grid(lambda rows: rows, [scorer], targets, ks, mode == "new")]
        for i, (protocol, target) in enumerate(zip(PROTOCOLS, targets)):
            per_method = {m: j[i] for m, j in judged.items()}
            report.customers.setdefault(protocol, {})[mode] = len(target.rows)
            report.results.setdefault(protocol, {})[mode] = {m: j.means for m, j in per_method.items()}
            report.versus.setdefault(protocol, {})[mode] = _versus(per_method)
    return report


def _versus(judged: dict[str, Judged]) -> Versus:
    """The hybrid against the other method with the best mean NDCG@10 (the first of equals)."""
    baseline = max((m for m in judged if m != "hybrid"), key=lambda m: judged[m].means[10]["ndcg"])
    return Versus(baseline, paired_difference(judged["hybrid"].ndcg[10], judged[baseline].ndcg[10]))


def _tune(table: pd.DataFrame, fold: b.Fold, period_days: int,
          step: Callable[[str], None]) -> tuple[dict[str, dict[str, Any]], tuple[LearnedOrder, ...]]:
    targets = protocol_targets(table, fold, period_days)
    chosen: dict[str, dict[str, Any]] = {m: dict.fromkeys(MODES) for m in ("global_popular", "store_popular",
                                                                           "personal_top_frequency")}
    for method, grid in GRIDS.items():
        scored = []
        for config in grid:
            step(f"tune {method}: {_describe(config)}")
            scorer = _scorer(fold, method, config)
            scored.append({mode: _mean_ndcg10(scorer, targets[mode], mode == "new") for mode in MODES})
        chosen[method] = {mode: grid[int(np.argmax([s[mode] for s in scored]))] for mode in MODES}
    hybrid_fold = b.with_model(fold, chosen["als"]["all"])
    tuned = tune_hybrid(hybrid_fold, targets, step)
    chosen["hybrid"] = dict.fromkeys(MODES, tuned)
    return chosen, learn_orders(hybrid_fold, targets, tuned, step)


def protocol_targets(table: pd.DataFrame, fold: b.Fold, period_days: int) -> dict[str, tuple[Truth, ...]]:
    """Per mode, the fold's truth under each protocol, in PROTOCOLS order (customers with nothing to find left
    out, so a protocol may have none): what tuning scores on, and the test tables."""
    return {mode: tuple(truth(table, fold, protocol, period_days, mode == "new") for protocol in PROTOCOLS)
            for mode in MODES}


def tune_hybrid(fold: b.Fold, targets: dict[str, tuple[Truth, ...]], step: Callable[[str], None] = lambda _: None
                ) -> HybridSettings:
    """The hybrid's weights best on a validation fold: discovery on new items, then repurchase, then the
    weighting of the customer's history (basket decay, staples), both on all items.

    `targets` maps "all" and "new" to the fold's truths (protocol_targets); a weighting's score is its mean
    NDCG@10 over them, so that it is chosen for the next basket and the weeks after alike, as it is judged.
    """
    discovery = HybridSettings()
    if any(len(t.rows) for t in targets["new"]):   # else nobody bought anything new: default discovery weights
        step("tune hybrid discovery weights")
        discovery = _best(fold, targets["new"], True, [
            HybridSettings(repurchase=1.0, collaborative=c, neighbours=n, popular=p, peers_new=w)
            for c, n, p, w in DISCOVERY_GRID])
    step("tune hybrid repurchase weights")
    repurchase = _best(fold, targets["all"], False, [
        replace(discovery, repurchase=r, due_strength=d, peers_bought=b * r) for r, d, b in REPURCHASE_GRID])
    step("tune hybrid basket decay and staples")
    return _best(fold, targets["all"], False, [
        replace(repurchase, staple_share=s, basket_decay=replace(repurchase.basket_decay, across=a))
        for a, s in HISTORY_GRID])


def learn_orders(fold: b.Fold, targets: dict[str, tuple[Truth, ...]], settings: HybridSettings,
                 step: Callable[[str], None] = lambda _: None) -> tuple[LearnedOrder, ...]:
    """Each kind's learned order for the hybrid under `settings` (learn_order), repurchase judged with the
    discovery order learnt first in place."""
    fold = b.with_basket_decay(fold, settings.basket_decay)   # once for both kinds, not once in each
    learnt = []
    for kind in learned_order.KINDS:
        step(f"learn the hybrid's {kind.name} order")
        learnt.append(learn_order(kind, fold, targets["all" if kind.bought_before else "new"], settings))
        fold = replace(fold, artifact=replace(fold.artifact, **{kind.name: learnt[-1].model}))
    return tuple(learnt)


def learn_order(kind: learned_order.Kind, fold: b.Fold, targets: tuple[Truth, ...], settings: HybridSettings
                ) -> LearnedOrder:
    """A model of the kind for the hybrid under `settings`, learnt on the fold's truths (`targets`, in PROTOCOLS
    order: new items for discovery, all items for repurchase): which of its candidates customers bought in the
    whole period.

    Kept only if one learnt on a random half of those customers ranks the other half's purchases better (mean
    NDCG@10 over the protocols) than the blend does, with the fold's other learned orders in place; the kept one
    then learns from all of them.
    """
    fold = b.with_basket_decay(fold, settings.basket_decay)
    period = targets[-1]
    rows = np.arange(len(period.rows))
    if len(rows) > LEARNING_CUSTOMERS:
        rows = np.sort(np.random.default_rng(0).choice(rows, LEARNING_CUSTOMERS, replace=False))
    found = b.hybrid_candidates(fold, period.rows[rows], settings)
    total = b.blend_total(found, settings)
    at = np.flatnonzero(kind.of(found) & np.isfinite(total))
    bought = lookup(period.items[rows], found.rows[at], found.cols[at]) > 0
    if bought.sum() < MIN_BOUGHT:
        return LearnedOrder(kind, None, len(at), int(bought.sum()))
    x = learned_order.features(kind, found, total, fold.artifact.signals, fold.artifact.popularity, at)
    learning = np.random.default_rng(1).permutation(len(rows))[: len(rows) // 2]
    learns = np.isin(found.rows[at], learning)
    half = learned_order.fit(kind, x[learns], bought[learns])
    judged = np.setdiff1d(period.rows, period.rows[rows[learning]])
    held_out = tuple(_subset(t, judged) for t in targets)
    learned, blend = (_mean_ndcg10(b.hybrid_scorer(replace(fold, artifact=replace(fold.artifact, **{kind.name: m})),
                                                   settings), held_out, not kind.bought_before) for m in (half, None))
    model = learned_order.fit(kind, x, bought) if learned > blend else None
    return LearnedOrder(kind, model, len(at), int(bought.sum()), (learned, blend))


def _subset(target: Truth, rows: np.ndarray) -> Truth:
    """The truth of those of its customers whose fold rows are in `rows`."""
    keep = np.isin(target.rows, rows)
    return Truth(target.rows[keep], target.items[keep], target.sizes[keep], target.history[keep])


def tuned_weights(table: pd.DataFrame, now: int, period_days: int, settings: ModelSettings,
                  interaction_settings: InteractionSettings, categories: dict[str, str],
                  step: Callable[[str], None] = lambda _: None) -> Tuned:
    """Blend weights and learned orders for the served lists (weights: HybridSettings field -> value; empty
    when there is nothing to tune on): tune_hybrid and learn_orders on what customers bought in the last
    `period_days` before the retailer's latest purchase (at most `now`: their next basket and the whole period),
    the model trained on what came before them."""
    table = table[table["at"] < now]
    bought_at = table.loc[table["kind"] == "purchase", "at"]
    if bought_at.empty:
        return Tuned({}, ())
    end = int(bought_at.max()) + 1    # a retailer whose sales stop (a demo, an archive) is tuned on its last days
    step("validation fold for the hybrid's weights")
    fold = b.make_fold(table, end - period_days * DAY_S, settings, interaction_settings, categories,
                       HybridSettings())
    targets = protocol_targets(table, fold, period_days)
    if not any(len(t.rows) for t in targets["all"]):
        return Tuned({}, ())   # nobody bought in the period: nothing to tune on, the defaults stand
    tuned = tune_hybrid(fold, targets, step)
    return Tuned({name: float(attrgetter(name)(tuned)) for name in WEIGHTS}, learn_orders(fold, targets, tuned, step))


def _best(fold: b.Fold, targets: tuple[Truth, ...], new_only: bool, grid: list[HybridSettings]) -> HybridSettings:
    """The grid's best by mean NDCG@10 over the targets (the first of equals); weightings with the same basket
    decay share the parts."""
    groups: dict[BasketDecay, list[HybridSettings]] = {}
    for settings in grid:
        groups.setdefault(settings.basket_decay, []).append(settings)
    scored: list[tuple[float, HybridSettings]] = []
    for group in groups.values():
        decayed = b.with_basket_decay(fold, group[0].basket_decay)
        per_target = [[_ndcg10(r) for r in results] for results in _scored(decayed, targets, new_only, group)]
        scored += zip((fmean(s) for s in zip(*per_target)), group)
    return max(scored, key=lambda pair: pair[0])[1]


def _scored(fold: b.Fold, targets: tuple[Truth, ...], new_only: bool, grid: list[HybridSettings]
            ) -> list[list[dict[int, dict]]]:
    """NDCG@10 and the rest of each weighting against each target ([target][weighting]), scored as served: on
    the candidates, positive scores only; candidates and rankings are shared by the targets."""
    def prepare(rows: np.ndarray) -> Candidates:
        return b.hybrid_candidates(fold, rows, grid[0])

    def scorer(settings: HybridSettings) -> Callable[[Candidates], b.Listed]:
        return lambda found: b.listed_scores(found, settings)

    return metrics_grid(prepare, [scorer(s) for s in grid], targets, (10,), new_only)


def _scorer(fold: b.Fold, method: str, config: Any) -> b.Scorer:
    if method == "global_popular":
        return b.global_popular(fold)
    if method == "store_popular":
        return b.store_popular(fold)
    if method == "personal_top_frequency":
        return b.personal_top_frequency(fold)
    if method == "tifu_knn":
        return b.tifu_knn(fold, config)
    if method == "item_knn":
        return b.item_knn(fold, fit(fold.matrix, config))
    if method in ("als", "bpr"):
        return b.matrix_factorisation(b.with_model(fold, config))
    return b.hybrid_scorer(fold, config)


def _mean_ndcg10(scorer: b.Scorer, targets: tuple[Truth, ...], new_only: bool) -> float:
    """A scorer's NDCG@10 averaged over the targets, each batch of customers scored once for all of them."""
    return fmean(_ndcg10(results[0]) for results in metrics_grid(lambda rows: rows, [scorer], targets, (10,),
                                                                   new_only))



def _ndcg10(result: dict[int, dict[str, float]]) -> float:
    return result[10]["ndcg"]


def _describe(config: Any) -> str:
    if config is None:
        return "-"
    if isinstance(config, ModelSettings):
        if config.algorithm in ("cosine", "bm25"):
            return f"{config.algorithm} K={config.neighbours}"
        return f"{config.algorithm} factors={config.factors} alpha={config.alpha} lr={config.learning_rate}" \
            if config.algorithm == "bpr" else f"factors={config.factors} alpha={config.alpha}"
    if isinstance(config, b.TifuSettings):
        return f"alpha={config.alpha} k={config.neighbours}"
    return (f"repurchase={config.repurchase} due={config.due_strength} als={config.collaborative} "
            f"knn={config.neighbours} popular={config.popular} like_you_new={config.peers_new} "
            f"like_you_bought={config.peers_bought} staple_share={config.staple_share} "
            f"basket_across={config.basket_decay.across}")


def markdown(report: Report) -> Iterator[str]:
    """The report as Markdown tables, one per protocol and mode."""
    for protocol, per_mode in report.results.items():
        for mode, per_method in per_mode.items():
            yield f"\n**{protocol.replace('_', ' ')}, {mode} items** ({report.customers[protocol][mode]} customers)\n"
            ks = sorted(next(iter(per_method.values())))
            head = [f"{m}@{k}" for k in ks for m in ("P", "R", "NDCG", "MAP", "HR", "Cov")]
            yield "| method | " + " | ".join(head) + " |"
            yield "|---" * (len(head) + 1) + "|"
            best = max(v[10]["ndcg"] for m, v in per_method.items() if m != "hybrid")
            for method, result in per_method.items():
                cells = [f"{result[k][m]:.4f}" for k in ks for m in ("precision", "recall", "ndcg", "map",
                                                                     "hit_rate", "coverage")]
                if method == "hybrid" or result[10]["ndcg"] == best:
                    cells[2] = f"**{cells[2]}**"
                yield f"| {method} | " + " | ".join(cells) + " |"
            if mode in report.versus.get(protocol, {}):
                yield f"\n{report.versus[protocol][mode].describe()}"
