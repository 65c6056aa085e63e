"""The time-split check of predicted value, on hand-built histories (pure logic, no graph)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from analytics.config import AnalyticsConfig
from analytics.holdout import _auc, _errors, check
from analytics.measures import Order

SPLIT = date(2024, 6, 30)


def history(first: date, last: date, every: int, amount: int = 1_000) -> list[Order]:
    days = range(0, (last - first).days + 1, every)
    return [Order(first + timedelta(days=d), amount) for d in days]


def test_errors_and_auc_known_answers() -> None:
    e = _errors("x", np.array([1.0, 3.0]), np.array([2.0, 2.0]))
    assert (e.mae, e.rmse, e.total_predicted, e.total_actual, e.total_error) == (1.0, 1.0, 4.0, 4.0, 0.0)
    assert _auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])) == 0.75
    assert _auc(np.array([0.1, 0.2]), np.array([True, True])) is None


def test_check_scores_loyal_and_lapsed_customers_against_the_holdout() -> None:
    # given 10 weekly shoppers who keep buying and 10 who bought weekly for a year and stopped 200 days before the split
    start = SPLIT - timedelta(days=500)
    loyal = [(f"l{i}", history(start + timedelta(days=i), SPLIT + timedelta(days=28), 7)) for i in range(10)]
    lapsed = [(f"x{i}", history(start + timedelta(days=i), SPLIT - timedelta(days=200), 7)) for i in range(10)]
    # when
    result = check(loyal + lapsed, SPLIT, 28, AnalyticsConfig())
    # then every loyal shopper bought 4 times in the 28 days after the split, the lapsed ones never
    model, rate, recent = result.purchases
    assert result.customers == 20 and model.total_actual == 40 and recent.mae == 0.0
    assert model.total_predicted == pytest.approx(40, rel=0.25)
    assert model.mae < rate.mae                      # the rate baseline expects the lapsed to come back
    assert result.spend[0].total_actual == 40 * 1_000
    assert result.churn_auc == 1.0                   # lapsed customers all get a higher churn probability
