"""Per-customer figures from measures: what a full run learns about a retailer, and how a customer scores on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from analytics import lifecycle, rfm, tiers
from analytics.btyd import BgNbd, FitError, GammaGamma, fit_bgnbd, fit_gamma_gamma
from analytics.config import AnalyticsConfig
from analytics.measures import Measures


@dataclass(frozen=True)
class RetailerModel:
    """Everything a full run learns about one retailer; stored so one customer can be scored alone."""

    retailer_id: str
    as_of: date
    config: AnalyticsConfig
    rfm: rfm.RfmBoundaries
    tier_cut: tiers.TierCut
    rhythm_days: float
    bgnbd: BgNbd | None
    gamma_gamma: GammaGamma | None
    tier_shares: tuple[tiers.TierShare, ...] = ()


@dataclass(frozen=True)
class Figures:
    """What a customer's profile says about where they stand."""

    customer_id: str
    recency_days: int | None
    frequency: int
    monetary_minor: int
    rfm_r: int | None
    rfm_f: int | None
    rfm_m: int | None
    rfm_segment: str | None
    value_tier: str
    lifecycle_stage: str | None
    rhythm_days: float | None
    last_purchase_on: date | None
    expected_purchases: float | None
    expected_spend_minor: int | None
    churn_probability: float | None


def learn(retailer_id: str, measures: list[Measures], as_of: date, config: AnalyticsConfig) -> RetailerModel:
    """Quintile boundaries, tier cut, median rhythm and BG/NBD + Gamma-Gamma fits over one retailer."""
    buyers = [m for m in measures if m.purchase_days]
    col = lambda f: np.array([f(m) for m in buyers], dtype=float)  # noqa: E731
    revenue = np.array([m.monetary_minor for m in measures], dtype=float)
    cut = tiers.tier_cut(revenue, config.core_share, config.middle_share)
    own = [lifecycle.rhythm_days(list(m.purchase_days), np.nan, config) for m in buyers]
    bgnbd, gamma_gamma = _fit(col(lambda m: m.repeat_purchases), col(lambda m: m.active_span),
                              col(lambda m: m.age), col(lambda m: m.repeat_mean_minor))
    return RetailerModel(
        retailer_id=retailer_id, as_of=as_of, config=config,
        rfm=rfm.boundaries(col(lambda m: m.recency_days), col(lambda m: m.frequency), col(lambda m: m.monetary_minor)),
        tier_cut=cut, rhythm_days=lifecycle.retailer_rhythm([r for r in own if not np.isnan(r)]),
        bgnbd=bgnbd, gamma_gamma=gamma_gamma,
        tier_shares=tuple(tiers.tier_shares(revenue, tiers.tiers(revenue, cut))),
    )


def _fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, zbar: np.ndarray) -> tuple[BgNbd | None, GammaGamma | None]:
    """Both models, or None for one that cannot be fitted (too few customers or repeat buyers)."""
    keep = T > 0  # customers whose first purchase is the as-of day carry no information on their rate
    try:
        bgnbd = fit_bgnbd(x[keep], t_x[keep], T[keep]) if keep.sum() >= 10 else None
    except FitError:
        bgnbd = None
    try:
        gamma_gamma = fit_gamma_gamma(x, zbar)
    except FitError:
        gamma_gamma = None
    return bgnbd, gamma_gamma


def score(model: RetailerModel, measures: list[Measures]) -> list[Figures]:
    """Figures of each customer against the retailer's model (vectorised: a full run scores everyone at once)."""
    col = lambda f: np.array([float(f(m)) for m in measures], dtype=float)  # noqa: E731
    revenue = col(lambda m: m.monetary_minor)
    tier_names = tiers.tiers(revenue, model.tier_cut)
    r, f, mon = rfm.scores(model.rfm, col(lambda m: m.recency_days or 0), col(lambda m: m.frequency), revenue)
    purchases, spend, churn = _predict(model, measures)
    return [_figures(model, m, str(tier_names[i]), (int(r[i]), int(f[i]), int(mon[i])),
                     (purchases[i], spend[i], churn[i])) for i, m in enumerate(measures)]


def _figures(model: RetailerModel, m: Measures, tier: str, scores: tuple[int, int, int],
             prediction: tuple[float | None, int | None, float | None]) -> Figures:
    if not m.purchase_days:
        return Figures(m.customer_id, None, 0, m.monetary_minor, None, None, None, None, tier, None,
                       None, None, None, None, None)
    rhythm = lifecycle.rhythm_days(list(m.purchase_days), model.rhythm_days, model.config)
    return Figures(
        customer_id=m.customer_id, recency_days=m.recency_days, frequency=m.frequency,
        monetary_minor=m.monetary_minor, rfm_r=scores[0], rfm_f=scores[1], rfm_m=scores[2],
        rfm_segment=rfm.segment(*scores), value_tier=tier,
        lifecycle_stage=lifecycle.stage(list(m.purchase_days), m.today, rhythm, model.config),
        rhythm_days=rhythm, last_purchase_on=date.fromordinal(m.purchase_days[-1]),
        expected_purchases=prediction[0], expected_spend_minor=prediction[1], churn_probability=prediction[2],
    )


def _predict(model: RetailerModel, measures: list[Measures]) -> tuple[list[float | None], list[int | None], list[float | None]]:
    """Expected purchases and spend over the horizon, and 1 - P(alive), per customer."""
    n = len(measures)
    if model.bgnbd is None or not n:
        return [None] * n, [None] * n, [None] * n
    x, t_x, T = (np.array([float(f(m)) for m in measures]) for f in
                 (lambda m: m.repeat_purchases, lambda m: m.active_span, lambda m: m.age))
    purchases = model.bgnbd.expected_purchases(model.config.horizon_days, x, t_x, T)
    churn = 1.0 - model.bgnbd.probability_alive(x, t_x, T)
    if model.gamma_gamma is None:
        return [float(p) for p in purchases], [None] * n, [float(c) for c in churn]
    value = model.gamma_gamma.expected_value(x, np.array([m.repeat_mean_minor for m in measures]))
    return ([float(p) for p in purchases], [int(round(float(v))) for v in purchases * value],
            [float(c) for c in churn])
