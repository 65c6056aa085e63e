"""Full recompute of every customer's figures in one pass, and the single-customer refresh after a purchase."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from analytics.config import AnalyticsConfig
from analytics.figures import Figures, RetailerModel, learn, score
from analytics.measures import Order, measure_rows
from analytics.replenishment import Replenishment, replenishment_of_days
from analytics.stored import from_properties, to_properties
from graph import analytics as store
from graph import segments
from graph.driver import chunks

EPOCH = date(1970, 1, 1).toordinal()
WRITE_BATCH = 2_000
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class RetailerRun:
    """What a full run did for one retailer."""

    model: RetailerModel
    customers: int
    replenishments: int
    stages: dict[str, int]


def recompute(graph: Any, *, config: AnalyticsConfig | None = None, as_of: datetime | None = None,
              retailer_id: str | None = None, progress: Progress | None = None,
              workers: int = 1) -> list[RetailerRun]:
    """Recompute and write every customer's figures, retailer by retailer, then segment memberships.

    `as_of` defaults to each retailer's latest order time (the end of its data; now, in live operation);
    `workers` graph queries read the histories at once.
    """
    config = config or AnalyticsConfig()
    runs = []
    for rid, tz in store.retailers_with_customers(graph):
        if retailer_id is None or rid == retailer_id:
            runs.append(_recompute_retailer(graph, rid, tz, config, as_of, progress or _quiet, workers))
    segments.refresh_all_memberships(graph)
    return runs


def _recompute_retailer(graph: Any, retailer_id: str, tz: str, config: AnalyticsConfig,
                        as_of: datetime | None, progress: Progress, workers: int) -> RetailerRun:
    at = as_of or store.last_order_at(graph, retailer_id) or datetime.now(timezone.utc)
    today = at.astimezone(ZoneInfo(tz)).date()
    total = store.count_customers(graph, retailer_id)
    measures, refills = [], {}
    for done, (customer_id, orders, consumables) in enumerate(
            store.stream_histories(graph, retailer_id, tz, _end_of(at), config.replenish_min_purchases,
                                   workers), 1):
        measures.append(measure_rows(customer_id, day_rows(orders), today.toordinal(), config))
        refills[customer_id] = _replenishments(customer_id, consumables, config)
        if done % 1000 == 0 or done == total:
            progress(f"{retailer_id}: reading", done, total)
    model = learn(retailer_id, measures, today, config)
    figures = score(model, measures)
    rows = ([_row(f, today, refills[f.customer_id], config.horizon_days) for f in batch]
            for batch in chunks(figures, WRITE_BATCH))
    written = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:  # deadlocks between batches are retried by the driver
        for n in pool.map(partial(store.write_figures, graph), rows):
            written += n
            progress(f"{retailer_id}: writing", written, len(figures))
    store.write_retailer_figures(graph, retailer_id, to_properties(model, len(figures)))
    stages: dict[str, int] = {}
    for f in figures:
        stages[f.lifecycle_stage or "never_bought"] = stages.get(f.lifecycle_stage or "never_bought", 0) + 1
    return RetailerRun(model, len(figures), sum(len(r) for r in refills.values()), stages)


def refresh_customer(graph: Any, customer_id: str, *, as_of: datetime | None = None) -> Figures | None:
    """Recompute one customer's figures against the retailer's last full run; None before any full run.

    `as_of` defaults to now, or to the last full run's day when that is later (historical data).
    """
    stored = store.retailer_figures_of_customer(graph, customer_id)
    if stored is None:
        return None
    properties, tz = stored
    model = from_properties(properties.get("retailer_id", ""), properties)
    at = as_of or datetime.now(timezone.utc)
    today = max(at.astimezone(ZoneInfo(tz)).date(), model.as_of)
    history = store.history_of_customer(graph, customer_id, tz, _end_of(max(at, _end_of_day(today, tz))),
                                        model.config.replenish_min_purchases)
    if history is None:
        return None
    orders, consumables = history
    figures = score(model, [measure_rows(customer_id, day_rows(orders), today.toordinal(), model.config)])[0]
    store.write_figures(graph, [_row(figures, today, _replenishments(customer_id, consumables, model.config),
                                     model.config.horizon_days)])
    segments.refresh_customer_memberships(graph, customer_id)
    return figures


def day_rows(rows: list[list[Any]]) -> list[tuple[int, int, bool]]:
    """(day ordinal, amount_minor, is_return) from the graph's [epoch day, is_return, amount_minor] rows."""
    return [(EPOCH + day, amount, is_return) for day, is_return, amount in rows]


def orders_from_rows(rows: list[list[Any]]) -> list[Order]:
    """Orders from the graph's [epoch day, is_return, amount_minor] rows."""
    return [Order(date.fromordinal(EPOCH + int(day)), int(amount), bool(is_return)) for day, is_return, amount in rows]


def _replenishments(customer_id: str, consumables: list[list[Any]], config: AnalyticsConfig) -> list[Replenishment]:
    found = (replenishment_of_days(customer_id, pid, [EPOCH + d for d in days], config.replenish_min_purchases)
             for pid, days in consumables)
    return [r for r in found if r is not None]


def _row(f: Figures, today: date, refills: list[Replenishment], horizon_days: int) -> dict[str, Any]:
    """One WRITE_FIGURES row (None values remove the property)."""
    return {
        "customer_id": f.customer_id, "stage": f.lifecycle_stage, "as_of": today,
        "figures": {
            "rfm_recency_days": f.recency_days, "rfm_frequency": f.frequency, "rfm_monetary_minor": f.monetary_minor,
            "rfm_r": f.rfm_r, "rfm_f": f.rfm_f, "rfm_m": f.rfm_m, "rfm_segment": f.rfm_segment,
            "value_tier": f.value_tier, "rhythm_days": f.rhythm_days, "last_purchase_on": f.last_purchase_on,
            "expected_purchases": f.expected_purchases, "expected_spend_minor": f.expected_spend_minor,
            "churn_probability": f.churn_probability,
            "prediction_horizon_days": horizon_days if f.expected_purchases is not None else None,
        },
        "replenishments": [{"product_id": r.product_id, "interval_days": r.interval_days, "purchases": r.purchases,
                            "last_bought_on": r.last_bought_on, "due_on": r.due_on} for r in refills],
    }


def _end_of(at: datetime) -> datetime:
    """Orders up to and including `at` (aware)."""
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _end_of_day(day: date, tz: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZoneInfo(tz)) + timedelta(days=1) - timedelta(microseconds=1)


def _quiet(phase: str, done: int, total: int) -> None:
    """No progress display."""
