"""Replenishment: when a customer's consumable runs out, from their own interval between buying it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median


@dataclass(frozen=True)
class Replenishment:
    """A consumable the customer buys regularly, with their personal interval and the next due date."""

    customer_id: str
    product_id: str
    interval_days: float
    purchases: int
    last_bought_on: date
    due_on: date


def replenishment(customer_id: str, product_id: str, days: list[date], min_purchases: int) -> Replenishment | None:
    """Median interval between distinct purchase days; None below `min_purchases` days."""
    distinct = sorted(set(days))
    if len(distinct) < max(min_purchases, 2):
        return None
    ordinals = [d.toordinal() for d in distinct]
    interval = float(median(b - a for a, b in zip(ordinals, ordinals[1:])))
    due = distinct[-1] + timedelta(days=int(round(interval)))
    return Replenishment(customer_id, product_id, interval, len(distinct), distinct[-1], due)
