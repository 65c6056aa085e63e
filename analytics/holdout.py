"""Check of the predicted value on a time split: fit on the history up to a day, predict the next N days.

The BG/NBD + Gamma-Gamma prediction of each customer's purchase days and spend in the holdout period is
compared with what they did, and with two naive baselines:
  rate    the customer's own calibration rate (purchase days / days since the first one) x N
  recent  the purchase days (and spend) of the last N days before the split, repeated
Errors are per customer over every customer who bought before the split: MAE and RMSE, and the error of the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from scipy.stats import rankdata

from analytics.config import AnalyticsConfig
from analytics.figures import learn
from analytics.measures import Measures, Order, measure
from analytics.recompute import orders_from_rows
from graph import analytics as store

Array = np.ndarray


@dataclass(frozen=True)
class Errors:
    """How far one predictor is from the holdout truth."""

    name: str
    mae: float
    rmse: float
    total_predicted: float
    total_actual: float

    @property
    def total_error(self) -> float:
        """Relative error of the summed prediction."""
        return (self.total_predicted - self.total_actual) / self.total_actual if self.total_actual else float("nan")


@dataclass(frozen=True)
class HoldoutCheck:
    """Result of one time split."""

    retailer_id: str
    split: date
    holdout_days: int
    customers: int
    purchases: tuple[Errors, ...]     # model first, then the baselines
    spend: tuple[Errors, ...]
    churn_auc: float | None           # churn probability vs "no purchase in the holdout" (ROC AUC)


def check(histories: list[tuple[str, list[Order]]], split: date, holdout_days: int,
          config: AnalyticsConfig, retailer_id: str = "") -> HoldoutCheck:
    """Fit on orders up to `split` (inclusive), compare predictions for split+1..split+holdout_days with truth."""
    end = split + timedelta(days=holdout_days)
    calibration = [measure(cid, orders, split, config) for cid, orders in histories]
    buyers = [i for i, m in enumerate(calibration) if m.purchase_days]
    ms = [calibration[i] for i in buyers]
    truth_days = np.array([_holdout_days(histories[i][1], split, end) for i in buyers], dtype=float)
    truth_spend = np.array([_holdout_spend(histories[i][1], split, end) for i in buyers], dtype=float)
    model = learn(retailer_id, calibration, split, _with_horizon(config, holdout_days))
    if model.bgnbd is None:
        raise ValueError("BG/NBD could not be fitted on the calibration period")
    x, t_x, t = (np.array([float(f(m)) for m in ms]) for f in
                 (lambda m: m.repeat_purchases, lambda m: m.active_span, lambda m: m.age))
    predicted = model.bgnbd.expected_purchases(holdout_days, x, t_x, t)
    value = (model.gamma_gamma.expected_value(x, np.array([m.repeat_mean_minor for m in ms]))
             if model.gamma_gamma else _mean_day_spend(ms, histories, buyers, split))
    rate, recent_days, recent_spend = _baselines(ms, histories, buyers, split, holdout_days)
    mean_spend = _mean_day_spend(ms, histories, buyers, split)
    churn = 1.0 - model.bgnbd.probability_alive(x, t_x, t)
    return HoldoutCheck(
        retailer_id, split, holdout_days, len(ms),
        (_errors("BG/NBD", predicted, truth_days), _errors("naive rate", rate, truth_days),
         _errors("naive recent", recent_days, truth_days)),
        (_errors("BG/NBD + Gamma-Gamma", predicted * value, truth_spend),
         _errors("naive rate", rate * mean_spend, truth_spend),
         _errors("naive recent", recent_spend, truth_spend)),
        _auc(churn, truth_days == 0),
    )


def check_graph(graph: Any, retailer_id: str, holdout_days: int, config: AnalyticsConfig,
                split: date | None = None) -> HoldoutCheck:
    """check() on a retailer's stored orders; the split defaults to `holdout_days` before its last order."""
    tz = dict(store.retailers_with_customers(graph)).get(retailer_id)
    if tz is None:
        raise ValueError(f"no customers of retailer {retailer_id}")
    last = store.last_order_at(graph, retailer_id) or datetime.now(timezone.utc)
    last_day = last.astimezone(ZoneInfo(tz)).date()
    histories = [(cid, orders_from_rows(orders)) for cid, orders, _ in
                 store.stream_histories(graph, retailer_id, tz, last, config.replenish_min_purchases)]
    return check(histories, split or last_day - timedelta(days=holdout_days), holdout_days, config, retailer_id)


def _with_horizon(config: AnalyticsConfig, days: int) -> AnalyticsConfig:
    return AnalyticsConfig(**{**config.__dict__, "horizon_days": days})


def _purchases(orders: list[Order], after: date, until: date) -> list[Order]:
    return [o for o in orders if after < o.day <= until and not o.is_return and o.amount_minor > 0]


def _holdout_days(orders: list[Order], split: date, end: date) -> int:
    return len({o.day for o in _purchases(orders, split, end)})


def _holdout_spend(orders: list[Order], split: date, end: date) -> int:
    return sum(-abs(o.amount_minor) if o.is_return else o.amount_minor
               for o in orders if split < o.day <= end)


def _baselines(ms: list[Measures], histories: list[tuple[str, list[Order]]], buyers: list[int], split: date,
               n: int) -> tuple[Array, Array, Array]:
    """Calibration rate x n; purchase days and spend of the last n calibration days."""
    rate = np.array([len(m.purchase_days) / max(m.age, 1) * n for m in ms])
    start = split - timedelta(days=n)
    recent_days = np.array([_holdout_days(histories[i][1], start, split) for i in buyers], dtype=float)
    recent_spend = np.array([_holdout_spend(histories[i][1], start, split) for i in buyers], dtype=float)
    return rate, recent_days, recent_spend


def _mean_day_spend(ms: list[Measures], histories: list[tuple[str, list[Order]]], buyers: list[int],
                    split: date) -> Array:
    """Each customer's mean spend per purchase day before the split."""
    totals = np.array([sum(o.amount_minor for o in _purchases(histories[i][1], date.min, split)) for i in buyers],
                      dtype=float)
    return totals / np.array([max(len(m.purchase_days), 1) for m in ms], dtype=float)


def _errors(name: str, predicted: Array, actual: Array) -> Errors:
    diff = predicted - actual
    return Errors(name, float(np.mean(np.abs(diff))), float(np.sqrt(np.mean(diff ** 2))),
                  float(predicted.sum()), float(actual.sum()))


def _auc(score: Array, positive: Array) -> float | None:
    """ROC AUC by ranks (ties share ranks); None when one class is empty."""
    pos, neg = int(positive.sum()), int((~positive).sum())
    if not pos or not neg:
        return None
    ranks = rankdata(score)
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))
