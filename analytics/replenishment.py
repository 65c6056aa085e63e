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
    return replenishment_of_days(customer_id, product_id, sorted({d.toordinal() for d in days}), min_purchases)


def replenishment_of_days(customer_id: str, product_id: str, ordinals: list[int],
                          min_purchases: int) -> Replenishment | None:
    """replenishment() on distinct purchase days given as ascending date ordinals (a full run's form)."""
    if len(ordinals) < max(min_purchases, 2):
        return None
    interval = float(median([b - a for a, b in zip(ordinals, ordinals[1:])]))
    last = date.fromordinal(ordinals[-1])
    return Replenishment(customer_id, product_id, interval, len(ordinals), last,
                         last + timedelta(days=int(round(interval))))
