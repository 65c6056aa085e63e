"""Pure computations: known answers without the graph."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from analytics import lifecycle, rfm, tiers
from analytics.btyd import BgNbd, bgnbd_log_likelihood, fit_bgnbd, fit_gamma_gamma
from analytics.config import AnalyticsConfig
from analytics.measures import Order, measure
from analytics.replenishment import replenishment
from graph.audiences import month_days, next_birthday
from graph.segments import FilterError, SegmentFilter

CDNOW = Path(__file__).parent / "data" / "cdnow_summary.csv"


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    with open(CDNOW, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("x", "t_x", "T", "zbar")}


def test_bgnbd_fit_reproduces_the_published_cdnow_estimates(cdnow: dict[str, np.ndarray]) -> None:
    # Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    m = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert (m.r, m.alpha, m.a, m.b) == pytest.approx((0.243, 4.414, 0.793, 2.426), abs=2e-3)
    assert bgnbd_log_likelihood(np.array([m.r, m.alpha, m.a, m.b]), cdnow["x"], cdnow["t_x"], cdnow["T"]) \
        == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_fit_on_a_flat_likelihood_does_not_depend_on_the_order_of_the_customers() -> None:
    # twelve customers, four with one repeat purchase 20 days after the first: the likelihood is flat along
    # alpha's bound, and in this order L-BFGS-B alone stops in its line search (2% of orders did, in CI too)
    x = np.array([0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0], dtype=float)
    T = np.array([17, 20, 15, 18, 16, 23, 14, 21, 19, 13, 22, 12], dtype=float)
    t_x = 20.0 * x
    order = np.argsort(T)
    fits = [fit_bgnbd(x[o], t_x[o], T[o]) for o in (np.arange(len(x)), order)]
    best = [bgnbd_log_likelihood(np.array([m.r, m.alpha, m.a, m.b]), x, t_x, T) for m in fits]
    assert best[0] == pytest.approx(best[1], abs=1e-4)


def test_bgnbd_conditional_expectation_matches_the_papers_worked_example() -> None:
    # the paper's customer with x=2, t_x=30.43, T=38.86 expects 1.226 purchases in the next 39 weeks
    m = BgNbd(0.243, 4.414, 0.793, 2.426)
    one = lambda v: np.array([v])  # noqa: E731
    assert m.expected_purchases(39, one(2.0), one(30.43), one(38.86))[0] == pytest.approx(1.226, abs=2e-3)
    assert m.probability_alive(one(0.0), one(0.0), one(38.86))[0] == 1.0


def test_gamma_gamma_fit_reproduces_the_published_cdnow_estimates(cdnow: dict[str, np.ndarray]) -> None:
    # Fader, Hardie & Lee (2005b) "RFM and CLV": p=6.25, q=3.74, gamma=15.44
    g = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert (g.p, g.q, g.gamma) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)
    # a repeat buyer's expected spend is pulled from their own mean towards the population mean
    assert 22.35 < g.expected_value(np.array([2.0]), np.array([22.35]))[0] < g.gamma * g.p / (g.q - 1)


def test_rfm_scores_ties_together_and_recency_runs_the_other_way() -> None:
    b = rfm.boundaries(np.array([1.0, 10, 20, 50, 100]), np.array([1.0, 1, 1, 2, 8]), np.array([5.0, 6, 7, 8, 9]))
    assert b.frequency == pytest.approx((1.0, 1.0, 1.4, 3.2))
    assert rfm.higher_is_better(np.array([1.0, 2.0, 8.0]), b.frequency).tolist() == [1, 4, 5]
    assert rfm.lower_is_better(np.array([1.0, 100.0]), b.recency_days).tolist() == [5, 1]


@pytest.mark.parametrize(("scores", "name"), [
    ((5, 5, 4), "champions"), ((5, 1, 1), "new"), ((4, 1, 1), "promising"), ((5, 2, 3), "potential_loyalist"),
    ((3, 4, 5), "loyal"), ((3, 3, 3), "need_attention"), ((3, 1, 2), "about_to_sleep"), ((2, 3, 4), "at_risk"),
    ((1, 5, 5), "cant_lose"), ((2, 1, 2), "hibernating"), ((1, 1, 1), "lost")])
def test_every_segment_of_the_grid(scores: tuple[int, int, int], name: str) -> None:
    assert rfm.segment(*scores) == name


def test_pareto_tiers_and_their_shares() -> None:
    revenue = np.array([5000.0, 3000, 1000, 500, 500, 0])
    cut = tiers.tier_cut(revenue, 0.8, 0.95)
    names = tiers.tiers(revenue, cut)
    assert names.tolist() == ["core", "core", "middle", "middle", "middle", "tail"]
    shares = {s.tier: s for s in tiers.tier_shares(revenue, names)}
    assert shares["core"].revenue_share == pytest.approx(0.8) and shares["core"].customers == 2
    assert shares["tail"].customer_share == pytest.approx(1 / 6) and shares["tail"].revenue_minor == 0


def test_lifecycle_thresholds_scale_with_rhythm_but_not_below_the_floors() -> None:
    config = AnalyticsConfig()
    assert lifecycle.thresholds(7, config) == lifecycle.Thresholds(14, 45, 120)
    assert lifecycle.thresholds(91, config) == lifecycle.Thresholds(182, 455, 910)
    weekly = list(range(0, 140, 7))
    assert lifecycle.stage(weekly, weekly[-1] + 28, 7, config) == "at_risk"
    assert lifecycle.stage([0, 91, 182], 182 + 28, 91, config) == "active"
    assert lifecycle.stage([], 10, 7, config) is None
    assert lifecycle.rhythm_days([0, 10], 30.0, config) == 30.0


def test_measures_net_returns_and_keep_to_the_window() -> None:
    config = AnalyticsConfig(window_days=30)
    today = date(2024, 6, 30)
    orders = [Order(today - timedelta(days=40), 9900), Order(today - timedelta(days=5), 2000),
              Order(today - timedelta(days=5), 1000), Order(today - timedelta(days=2), -500, True),
              Order(today + timedelta(days=1), 7000)]
    m = measure("c", orders, today, config)
    assert (m.frequency, m.monetary_minor, m.recency_days) == (2, 2500, 5)
    assert (m.repeat_purchases, m.active_span, m.age, m.repeat_mean_minor) == (1, 35, 40, 3000.0)


def test_replenishment_needs_enough_purchase_days() -> None:
    days = [date(2024, 1, 1), date(2024, 1, 11), date(2024, 1, 11), date(2024, 1, 19)]
    found = replenishment("c", "p", days, 3)
    assert found is not None and (found.interval_days, found.due_on) == (9.0, date(2024, 1, 28))
    assert replenishment("c", "p", days[:2], 3) is None


def test_birthday_window_covers_year_end_and_29_february() -> None:
    assert month_days(date(2023, 12, 30), 3) == [1230, 1231, 101]
    assert 229 in month_days(date(2023, 2, 27), 2) and 229 not in month_days(date(2024, 2, 27), 2)
    assert next_birthday(date(1992, 2, 29), date(2023, 2, 1)) == date(2023, 2, 28)
    assert next_birthday(date(1990, 1, 5), date(2023, 12, 30)) == date(2024, 1, 5)


def test_segment_filters_round_trip_and_name_what_is_wrong() -> None:
    f = SegmentFilter.from_dict({"tiers": ["core"], "bought_from": "2024-01-01", "spend_min_minor": 100})
    assert SegmentFilter.from_json(f.to_json()) == f
    with pytest.raises(FilterError, match="unknown filter field.*colour"):
        SegmentFilter.from_dict({"colour": ["red"]})
    with pytest.raises(FilterError, match="bought_to must be a date"):
        SegmentFilter.from_dict({"bought_to": "soon"})
    with pytest.raises(FilterError, match="tiers must be a list"):
        SegmentFilter.from_dict({"tiers": "core"})
