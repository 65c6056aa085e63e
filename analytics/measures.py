"""One customer's purchase history reduced to the measures every figure is built from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    rows = [(o.day.toordinal(), o.amount_minor, o.is_return) for o in orders]
    return measure_rows(customer_id, rows, as_of.toordinal(), config)


def measure_rows(customer_id: str, rows: list[tuple[int, int, bool]], today: int,
                 config: AnalyticsConfig) -> Measures:
    """measure() on (day ordinal, amount_minor, is_return) rows; plain loops, as a full run calls it per customer."""
    window_start = today - config.window_days
    by_day: dict[int, int] = {}
    frequency = monetary = 0
    for day, amount, is_return in rows:
        if day > today:
            continue
        bought = not is_return and amount > 0
        if bought:
            by_day[day] = by_day.get(day, 0) + amount
        if day > window_start:
            monetary += -abs(amount) if is_return else amount
            frequency += bought
    days = tuple(sorted(by_day))
    repeat = [by_day[d] for d in days[1:]]
    return Measures(
        customer_id=customer_id,
        purchase_days=days,
        recency_days=today - days[-1] if days else None,
        frequency=frequency,
        monetary_minor=monetary,
        repeat_mean_minor=sum(repeat) / len(repeat) if repeat else 0.0,
        today=today,
    )
