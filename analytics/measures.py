"""One customer's purchase history reduced to the measures every figure is built from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from analytics.config import AnalyticsConfig


@dataclass(frozen=True)
class Order:
    """One order as the figures see it: local calendar day, net amount in minor units, return or not."""

    day: date
    amount_minor: int
    is_return: bool = False


@dataclass(frozen=True)
class Measures:
    """Raw measures on the as-of day; days are counted in the retailer's calendar."""

    customer_id: str
    purchase_days: tuple[int, ...]    # distinct purchase days as date ordinals, ascending
    recency_days: int | None          # days since the last purchase; None if never bought
    frequency: int                    # purchase orders in the window
    monetary_minor: int               # purchases minus returns in the window
    repeat_mean_minor: float          # mean spend per repeat purchase day (Gamma-Gamma's zbar)
    today: int                        # as-of day ordinal

    @property
    def repeat_purchases(self) -> int:
        """BG/NBD x: purchase days after the first."""
        return max(len(self.purchase_days) - 1, 0)

    @property
    def active_span(self) -> int:
        """BG/NBD t_x: days from the first to the last purchase."""
        return self.purchase_days[-1] - self.purchase_days[0] if self.purchase_days else 0

    @property
    def age(self) -> int:
        """BG/NBD T: days from the first purchase to the as-of day."""
        return self.today - self.purchase_days[0] if self.purchase_days else 0


def measure(customer_id: str, orders: list[Order], as_of: date, config: AnalyticsConfig) -> Measures:
    """Measures of one customer on `as_of`; orders after `as_of` are ignored."""
    today = as_of.toordinal()
    window_start = today - config.window_days
    seen = [o for o in orders if o.day.toordinal() <= today]
    purchases = [o for o in seen if not o.is_return and o.amount_minor > 0]
    by_day: dict[int, int] = {}
    for o in purchases:
        by_day[o.day.toordinal()] = by_day.get(o.day.toordinal(), 0) + o.amount_minor
    days = tuple(sorted(by_day))
    in_window = [o for o in seen if o.day.toordinal() > window_start]
    monetary = sum(-abs(o.amount_minor) if o.is_return else o.amount_minor for o in in_window)
    repeat = [by_day[d] for d in days[1:]]
    return Measures(
        customer_id=customer_id,
        purchase_days=days,
        recency_days=today - days[-1] if days else None,
        frequency=sum(1 for o in in_window if not o.is_return and o.amount_minor > 0),
        monetary_minor=monetary,
        repeat_mean_minor=float(np.mean(repeat)) if repeat else 0.0,
        today=today,
    )
