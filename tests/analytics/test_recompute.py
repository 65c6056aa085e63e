"""Full recompute and single-customer refresh against the real graph, on small hand-built histories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import _zoneinfo

import numpy as np
import pytest

from analytics import recompute, refresh_customer
from analytics.btyd import BgNbd
from graph.analytics import history_of_customer, retailer_figures
from graph.driver import Graph

AS_OF = datetime(2024, 6, 30, 18, tzinfo=timezone.utc)
TODAY = AS_OF.date()
Figures = Callable[[str], dict[str, Any]]


def days_back(*offsets: int) -> list[date]:
    return [TODAY - timedelta(days=n) for n in offsets]


def weekly(last_offset: int, weeks: int) -> list[date]:
    return days_back(*(last_offset + 7 * w for w in range(weeks)))


def test_rfm_scores_segments_and_tiers_follow_the_quintiles(graph: Graph, shop: Any, figures: Figures) -> None:
    # given five buyers with 1..5 orders of 10.00, the most frequent also the most recent, and one who never bought
    for n, (name, last) in enumerate([("a", 100), ("b", 50), ("c", 20), ("d", 10), ("e", 1)], 1):
        shop.customer(name)
        for k in range(n):
            shop.order(name, TODAY - timedelta(days=last + 30 * k), "10.00")
    shop.customer("f")
    shop.load(graph)
    # when
    recompute(graph, as_of=AS_OF)
    # then
    got = {c: figures(c) for c in "abcdef"}
    assert [(got[c]["rfm_r"], got[c]["rfm_f"], got[c]["rfm_m"]) for c in "abcde"] == [(s, s, s) for s in range(1, 6)]
    assert [got[c]["rfm_segment"] for c in "abcde"] == ["lost", "hibernating", "need_attention", "loyal", "champions"]
    assert [got[c]["value_tier"] for c in "abcdef"] == ["middle", "middle", "core", "core", "core", "tail"]
    assert got["e"]["rfm_monetary_minor"] == 5000 and got["e"]["rfm_recency_days"] == 1
    assert got["f"]["rfm_segment"] is None and got["f"]["lifecycle_stage"] is None
    stored = retailer_figures(graph, "r1")
    assert stored is not None and stored["customers"] == 6
    assert stored["rfm_frequency"] == pytest.approx([1.8, 2.6, 3.4, 4.2])


def test_lifecycle_stage_is_relative_to_each_customers_rhythm(graph: Graph, shop: Any, figures: Figures) -> None:
    # given a weekly shopper silent for four weeks and a quarterly one silent for a month
    histories = {
        "weekly": weekly(28, 20),                          # rhythm 7: at risk from 14 silent days
        "quarterly": days_back(30, 121, 212, 303),         # rhythm 91: at risk from 182
        "newbie": days_back(10, 3),
        "dormant": days_back(*(160 + 30 * k for k in range(6))),    # rhythm 30: dormant from 150, churned 300
        "churned": weekly(200, 8),
        "comeback": days_back(2) + weekly(120, 10),        # back after 118 silent days
    }
    for customer_id, days in histories.items():
        shop.customer(customer_id)
        for day in days:
            shop.order(customer_id, day, "5.00")
    shop.load(graph)
    # when
    recompute(graph, as_of=AS_OF)
    # then
    assert {c: figures(c)["lifecycle_stage"] for c in histories} == {
        "weekly": "at_risk", "quarterly": "active", "newbie": "new", "dormant": "dormant",
        "churned": "churned", "comeback": "reactivated"}
    assert figures("weekly")["rhythm_days"] == 7.0


def test_a_new_purchase_moves_one_customer_on_without_a_full_run(graph: Graph, shop: Any, figures: Figures) -> None:
    # given a weekly shopper at risk after a full run
    for customer_id, days in {"weekly": weekly(28, 20), "other": weekly(3, 5)}.items():
        shop.customer(customer_id)
        for day in days:
            shop.order(customer_id, day, "5.00")
    shop.load(graph)
    recompute(graph, as_of=AS_OF)
    assert figures("weekly")["lifecycle_stage"] == "at_risk"
    # when they buy again the next day and only their figures are refreshed
    shop.order("weekly", TODAY + timedelta(days=1), "5.00")
    shop.load(graph)
    refreshed = refresh_customer(graph, "weekly", as_of=AS_OF + timedelta(days=1))
    # then
    after = figures("weekly")
    assert refreshed is not None and refreshed.lifecycle_stage == "active"
    assert after["lifecycle_stage"] == "active" and after["previous_lifecycle_stage"] == "at_risk"
    assert after["lifecycle_stage_since"] == TODAY + timedelta(days=1)
    assert after["rfm_recency_days"] == 0 and after["rfm_frequency"] == 21
    assert figures("other")["figures_as_of"] == TODAY


def test_a_history_read_with_a_zoneinfo_bound_sends_it_as_utc(graph: Graph, shop: Any) -> None:
    # the pure-Python zoneinfo raises where the C one (the default) crashed the API process at random
    # (CPython issue 125318) when a ZoneInfo-aware datetime reached the driver
    shop.customer("w")
    shop.order("w", TODAY, "5.00")
    shop.load(graph)
    evening = datetime.combine(TODAY, time(23, 59), _zoneinfo.ZoneInfo("America/New_York"))

    history = history_of_customer(graph, "w", "America/New_York", evening, 2)

    assert history is not None and len(history[0]) == 1


def test_refresh_before_any_full_run_changes_nothing(graph: Graph, shop: Any) -> None:
    shop.customer("x")
    shop.order("x", TODAY, "1.00")
    shop.load(graph)
    assert refresh_customer(graph, "x", as_of=AS_OF) is None


def test_replenishment_uses_the_personal_interval_per_consumable(graph: Graph, shop: Any, figures: Figures) -> None:
    # given milk every 5 days, cheese twice only, and a teddy bought three times (not consumable)
    shop.customer("m")
    for day in days_back(1, 6, 11, 16):
        shop.order("m", day, "2.00", products=("milk", "teddy"))
    for day in days_back(2, 9):
        shop.order("m", day, "3.00", products=("cheese",))
    shop.load(graph)
    # when
    recompute(graph, as_of=AS_OF)
    # then
    (milk,) = figures("m")["replenishments"]
    assert (milk["product_id"], milk["interval_days"], milk["purchases"]) == ("milk", 5.0, 4)
    assert milk["last_bought_on"] == TODAY - timedelta(days=1) and milk["due_on"] == TODAY + timedelta(days=4)


def test_a_later_run_updates_replenishments_in_place_and_drops_those_no_longer_due(
        graph: Graph, shop: Any, figures: Figures) -> None:
    # given milk bought every 5 days, figures first computed before the latest purchase
    shop.customer("m")
    for day in days_back(1, 6, 11, 16):
        shop.order("m", day, "2.00", products=("milk",))
    shop.load(graph)
    recompute(graph, as_of=AS_OF - timedelta(days=3))
    assert [(r["product_id"], r["purchases"]) for r in figures("m")["replenishments"]] == [("milk", 3)]
    # when the run is repeated on the full history, then the one relationship carries the new interval data
    recompute(graph, as_of=AS_OF)
    (milk,) = figures("m")["replenishments"]
    assert (milk["purchases"], milk["last_bought_on"]) == (4, TODAY - timedelta(days=1))
    # when a run sees only two purchases, milk is no longer a replenishment
    recompute(graph, as_of=AS_OF - timedelta(days=8))
    assert figures("m")["replenishments"] == []


def test_predicted_value_comes_from_the_fitted_models(graph: Graph, shop: Any, figures: Figures) -> None:
    # given twelve customers with different rhythms, spend and silence
    for n in range(12):
        customer_id = f"c{n:02d}"
        shop.customer(customer_id)
        for day in weekly(n * 9, 2 + n % 5):
            shop.order(customer_id, day, f"{10 + n}.00")
    shop.load(graph)
    # when
    recompute(graph, as_of=AS_OF)
    # then every buyer's prediction is the stored model's own formula
    stored = retailer_figures(graph, "r1")
    assert stored is not None and stored["bgnbd"] is not None
    model = BgNbd(*stored["bgnbd"])
    for n in (0, 7):
        got = figures(f"c{n:02d}")
        days = sorted(weekly(n * 9, 2 + n % 5))
        x, t_x, T = len(days) - 1, (days[-1] - days[0]).days, (TODAY - days[0]).days
        expected = model.expected_purchases(90, *(np.array([float(v)]) for v in (x, t_x, T)))
        assert got["expected_purchases"] == pytest.approx(float(expected[0]))
        assert 0.0 <= got["churn_probability"] <= 1.0 and got["expected_spend_minor"] > 0
    assert figures("c00")["churn_probability"] < figures("c11")["churn_probability"]
