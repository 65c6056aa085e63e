"""Baskets and lines: unplanned trips, consumables bought on personal cycles, and returns.

Each customer with staples buys each of them every `cycle` days (their own cycle, around the type's
typical one), skipping one now and then; a staple purchase joins a trip within two days or makes a
top-up trip of its own. Unplanned lines follow the products' Zipf popularity over what the store
carries, a third of them from the categories of the customer's staples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loaders.synthetic.catalogue import RETAILER, Catalogue
from loaders.synthetic.clock import DAY, Period
from loaders.synthetic.files import Table, ids, money, pick
from loaders.synthetic.people import Population

CHANNELS = ("pos", "web", "kiosk", "app")
PROFILE_CHANNELS = np.array([(0.95, 0.0, 0.05, 0.0), (0.6, 0.2, 0.05, 0.15), (0.0, 0.6, 0.0, 0.4)])
EXTRA_LINES = np.array([3.5, 5.0, 1.0, 2.5])  # unplanned lines per trip by channel, on top of one
RETURN_SHARE = 0.008
ATTACH_WITHIN = 2 * DAY  # at most; and at most a tenth of the cycle


@dataclass
class Baskets:
    """Orders (index = chronological order number) and their lines."""

    customer: np.ndarray
    time: np.ndarray
    channel: np.ndarray
    store: np.ndarray
    is_return: np.ndarray
    line_order: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_minor: np.ndarray
    discount_minor: np.ndarray
    coupon_minor: np.ndarray
    staple_customer: np.ndarray  # (staples,) who buys it
    staple_product: np.ndarray   # (staples,) what
    staple_cycle: np.ndarray     # (staples,) their personal days between purchases

    def amount_minor(self) -> np.ndarray:
        """What each line was paid (negative for returned goods)."""
        sign = np.where(self.is_return[self.line_order], -1, 1)
        return sign * (self.quantity * self.unit_minor - self.discount_minor - self.coupon_minor)


def build_baskets(rng: np.random.Generator, pop: Population, cat: Catalogue, period: Period) -> Baskets:
    """Every basket of every customer over the period."""
    start = np.maximum(pop.created, 0)
    span = np.maximum(pop.active_until - start, 0)
    trips = rng.poisson(pop.rate * span / (7 * DAY))
    trip_customer = np.repeat(np.arange(len(pop)), trips)
    trip_time = start[trip_customer] + (rng.random(len(trip_customer)) * span[trip_customer]).astype(np.int64)
    staple_customer, staple_product, cycle = _staples(rng, pop, cat)
    buy_staple, buy_time = _staple_purchases(rng, staple_customer, cycle, start, pop.active_until)
    buy_customer = staple_customer[buy_staple]
    trip_customer, trip_time, buy_trip = _attach(trip_customer, trip_time, buy_customer, buy_time,
                                                 cycle[buy_staple] // 10)
    channel, store = _channels(rng, pop, cat, trip_customer)
    line_trip, product = _lines(rng, pop, cat, trip_customer, channel, store, staple_customer, staple_product)
    line_trip = np.concatenate([buy_trip, line_trip])
    product = np.concatenate([staple_product[buy_staple], product])
    quantity = np.concatenate([rng.choice((1, 2), len(buy_trip), p=(0.85, 0.15)),
                               rng.choice((1, 2, 3, 4, 6), len(product) - len(buy_trip),
                                          p=(0.78, 0.14, 0.04, 0.02, 0.02))])
    trip_time = _time_of_day(rng, trip_time, channel)
    orders = (trip_customer, trip_time, channel, store, np.zeros(len(trip_time), dtype=bool))
    orders, line_trip, product, quantity = _with_returns(rng, pop, cat, orders, line_trip, product, quantity)
    return _chronological(rng, cat, orders, line_trip, product, quantity, (staple_customer, staple_product, cycle))


def _staples(rng: np.random.Generator, pop: Population, cat: Catalogue) -> tuple[np.ndarray, ...]:
    """(customer, product, personal cycle in seconds) per staple; products every store carries.

    A cycle is the type's typical one times a personal factor, but never shorter than the customer's
    usual time between trips: someone who shops monthly buys their monthly share here.
    """
    everywhere = int(cat.store_carries.min())
    candidates = np.flatnonzero(cat.consumable[:everywhere])
    weights = np.diff(np.concatenate([[0.0], cat.cdf]))[candidates]
    customer = np.repeat(np.arange(len(pop)), pop.staples)
    product = candidates[np.minimum(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(len(customer))),
                                    len(candidates) - 1)]
    trip_every = 7 / np.maximum(pop.rate[customer], 1e-3)  # nobody tops up far more often than they shop
    days = np.clip(np.maximum(cat.cycle_days[product] * rng.lognormal(0.0, 0.35, len(customer)), trip_every), 4, 120)
    return customer, product, (days * DAY).astype(np.int64)


def _staple_purchases(rng: np.random.Generator, customer: np.ndarray, cycle: np.ndarray, start: np.ndarray,
                      until: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(staple index, local time) of each repurchase; about one in twenty is skipped."""
    phase = (rng.random(len(customer)) * cycle).astype(np.int64)
    span = until[customer] - start[customer] - phase
    count = np.where(span > 0, span // np.maximum(cycle, 1) + 1, 0)
    staple = np.repeat(np.arange(len(customer)), count)
    k = np.arange(len(staple)) - np.repeat(np.cumsum(count) - count, count)
    jitter = rng.normal(0.0, 0.1, len(staple)) * cycle[staple]
    time = start[customer[staple]] + phase[staple] + k * cycle[staple] + jitter.astype(np.int64)
    keep = (rng.random(len(staple)) > 0.05) & (time >= start[customer[staple]]) & (time < until[customer[staple]])
    return staple[keep], time[keep]


def _attach(trip_customer: np.ndarray, trip_time: np.ndarray, buy_customer: np.ndarray, buy_time: np.ndarray,
            slack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join each staple purchase to the customer's nearest trip within `slack` (two days at most), else a new trip."""
    if len(trip_time) == 0:
        return buy_customer, buy_time, np.arange(len(buy_time))
    span = np.int64(1) << 40
    key = trip_customer.astype(np.int64) * span + trip_time
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    want = buy_customer.astype(np.int64) * span + buy_time
    right = np.minimum(np.searchsorted(sorted_key, want), len(sorted_key) - 1)
    left = np.maximum(right - 1, 0)
    left_gap, right_gap = np.abs(sorted_key[left] - want), np.abs(sorted_key[right] - want)
    nearest = np.where(left_gap <= right_gap, left, right)
    joined = np.minimum(left_gap, right_gap) <= np.minimum(slack, ATTACH_WITHIN)  # other customers: 2**40 s away
    trip = order[nearest]
    new = np.flatnonzero(~joined)
    trip[new] = len(trip_time) + np.arange(len(new))
    return (np.concatenate([trip_customer, buy_customer[new]]), np.concatenate([trip_time, buy_time[new]]), trip)


def _channels(rng: np.random.Generator, pop: Population, cat: Catalogue,
              customer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel per trip from the customer's profile; home store mostly, kiosks only where there are."""
    cum = np.cumsum(PROFILE_CHANNELS, axis=1)[pop.profile[customer]]
    channel = (rng.random(len(customer))[:, None] > cum).sum(axis=1)
    home = pop.home_store[customer]
    store = np.where(rng.random(len(customer)) < 0.85, home, rng.integers(0, len(cat.store_format), len(customer)))
    in_store = (channel == 0) | (channel == 2)
    store = np.where(in_store & (home >= 0), store, -1)
    kiosk_ok = np.array([True, True, False])[cat.store_format[np.maximum(store, 0)]]
    channel = np.where((channel == 2) & ~kiosk_ok, 0, channel)
    return channel, store


def _lines(rng: np.random.Generator, pop: Population, cat: Catalogue, trip_customer: np.ndarray,
           channel: np.ndarray, store: np.ndarray, staple_customer: np.ndarray,
           staple_product: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unplanned lines: at least one per trip, more in big shops and on the web."""
    count = 1 + rng.poisson(EXTRA_LINES[channel])
    trip = np.repeat(np.arange(len(channel)), count)
    carried = np.where(store[trip] >= 0, cat.store_carries[np.maximum(store[trip], 0)], len(cat.cdf))
    product = cat.draw(rng, carried)
    owner = trip_customer[trip]
    first = np.searchsorted(staple_customer, owner)
    owned = np.searchsorted(staple_customer, owner, side="right") - first
    near = (owned > 0) & (rng.random(len(trip)) < 0.33)
    staple = staple_product[np.minimum(first + (rng.random(len(trip)) * owned).astype(np.int64),
                                       max(len(staple_product) - 1, 0))] if len(staple_product) else product
    neighbour = cat.neighbour(rng, staple)
    product = np.where(near & (neighbour < carried), neighbour, product)
    own = np.isin(owner.astype(np.int64) * len(cat.cdf) + product,
                  staple_customer.astype(np.int64) * len(cat.cdf) + staple_product)
    return trip, np.where(own, cat.draw(rng, carried), product)  # staples come on their own cycle only


def _time_of_day(rng: np.random.Generator, time: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Shops open 08:00-21:00; the web and the app are busiest in the evening."""
    in_store = (channel == 0) | (channel == 2)
    hours = np.where(in_store, 8 + 13 * rng.beta(2.2, 1.8, len(time)), 7 + 16.9 * rng.beta(2.5, 1.6, len(time)))
    return np.floor_divide(time, DAY) * DAY + (hours * 3600).astype(np.int64)


def _with_returns(rng: np.random.Generator, pop: Population, cat: Catalogue, orders: tuple[np.ndarray, ...],
                  line_trip: np.ndarray, product: np.ndarray, quantity: np.ndarray) -> tuple:  # type: ignore[type-arg]
    """About 0.8% of non-fresh lines come back 1-21 days later, at the home store or by post."""
    customer, time, channel, store, is_return = orders
    back = np.flatnonzero((rng.random(len(line_trip)) < RETURN_SHARE) & (cat.product_department[product] != 0))
    when = time[line_trip[back]] + rng.integers(DAY, 21 * DAY, len(back))
    who = customer[line_trip[back]]
    keep = when < pop.active_until[who]
    back, when, who = back[keep], when[keep], who[keep]
    home = pop.home_store[who]
    new = len(time) + np.arange(len(back))
    orders = (np.concatenate([customer, who]), np.concatenate([time, when]),
              np.concatenate([channel, np.where(home >= 0, 0, 1)]), np.concatenate([store, home]),
              np.concatenate([is_return, np.ones(len(back), dtype=bool)]))
    return (orders, np.concatenate([line_trip, new]), np.concatenate([product, product[back]]),
            np.concatenate([quantity, quantity[back]]))


def _chronological(rng: np.random.Generator, cat: Catalogue, orders: tuple[np.ndarray, ...],
                   line_trip: np.ndarray, product: np.ndarray, quantity: np.ndarray,
                   staples: tuple[np.ndarray, ...]) -> Baskets:
    """Number orders by time and lines by order; price lines and discount about one in eight."""
    by_time = np.argsort(orders[1], kind="stable")
    rank = np.empty_like(by_time)
    rank[by_time] = np.arange(len(by_time))
    line_order = rank[line_trip]
    by_order = np.argsort(line_order, kind="stable")
    line_order, product, quantity = line_order[by_order], product[by_order], quantity[by_order]
    unit = cat.price_minor[product]
    off = np.where(rng.random(len(product)) < 0.12, rng.uniform(0.1, 0.35, len(product)), 0.0)
    discount = np.round(unit * quantity * off).astype(np.int64)
    customer, time, channel, store, is_return = (a[by_time] for a in orders)
    discount[is_return[line_order]] = 0
    return Baskets(customer, time, channel, store, is_return, line_order, product, quantity, unit, discount,
                   np.zeros(len(product), dtype=np.int64), *staples)


def tables(b: Baskets, pop: Population, cat: Catalogue, period: Period) -> dict[str, Table]:
    """The orders and order_lines files."""
    order_ids = ids(f"{RETAILER}:O", np.arange(1, len(b.time) + 1), 8)
    starts = np.searchsorted(b.line_order, np.arange(len(b.time)))
    line_no = np.arange(len(b.line_order)) - starts[b.line_order] + 1
    sign = np.where(b.is_return[b.line_order], -1, 1)
    return {
        "orders": {"order_id": order_ids, "retailer_id": [RETAILER] * len(order_ids),
                   "customer_id": pick(pop.customer_ids, b.customer), "store_id": pick(cat.store_ids, b.store),
                   "channel_id": pick(CHANNELS, b.channel), "placed_at": period.iso(b.time),
                   "kind": np.where(b.is_return, "return", "purchase"), "status": ["completed"] * len(order_ids)},
        "order_lines": {"order_id": pick(order_ids, b.line_order), "line_no": line_no,
                        "product_id": pick(cat.product_ids, b.product), "quantity": sign * b.quantity,
                        "unit_price": money(b.unit_minor), "amount": money(b.amount_minor()),
                        "discount": money(b.discount_minor), "coupon_discount": money(b.coupon_minor)},
    }


def spend_by_customer(b: Baskets, customers: int) -> np.ndarray:
    """Net amount paid per customer in minor units (returns deducted)."""
    return np.bincount(b.customer[b.line_order], weights=b.amount_minor(), minlength=customers).astype(np.int64)
