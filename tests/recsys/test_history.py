"""Purchase statistics and the recent-purchase rule (pure logic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import history, hybrid
from recsys.history import BasketDecay, Coded, purchase_stats
from recsys.interactions import DAY_S, id_maps

NOW = 1_700_000_000


def _bought(lines: list[tuple[int, int, int, float]]) -> Coded:
    """Purchases as (customer row, product col, basket, days ago)."""
    row, col, basket, days = zip(*lines)
    return Coded(np.array(row, np.int32), np.array(col, np.int32), np.array(basket, np.int64),
                 np.zeros(len(lines), np.int8), NOW - (np.array(days) * DAY_S).astype(np.int64))


def test_rate_is_the_decayed_share_of_baskets_newest_first() -> None:
    # baskets 10 (newest), 11, 12 (oldest) weigh 1, 0.5 and, in the next group, 0.25: together 1.75
    coded = _bought([(0, 0, 10, 1), (0, 1, 10, 1), (0, 0, 11, 5), (0, 0, 12, 9), (0, 1, 12, 9)])
    stats = purchase_stats(coded, (1, 2), np.full(2, -1), NOW, BasketDecay(group=2, within=0.5, across=0.25))
    assert stats.rate.toarray()[0] == pytest.approx([1.0, 1.25 / 1.75])
    assert stats.baskets.toarray()[0].tolist() == [3, 2]


def test_rate_does_not_depend_on_how_often_a_customer_shops() -> None:
    # the same two-basket history, one customer a day apart, the other a year apart
    coded = _bought([(0, 0, 1, 1), (0, 1, 2, 2), (1, 0, 3, 1), (1, 1, 4, 366)])
    rate = purchase_stats(coded, (2, 2), np.full(2, -1), NOW).rate.toarray()
    assert rate[0] == pytest.approx(rate[1])
    assert rate.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_staples_and_due_products_are_not_held_back_but_a_one_off_is() -> None:
    settings = hybrid.HybridSettings(recent_days=3, staple_share=0.2, due_from=0.75)
    # all bought 1 day ago (last = days + 1): a staple in 5 baskets, the same share once, one due, one stale
    last = np.array([2.0, 2.0, 2.0, 9.0])
    interval = np.array([7.0, 0.0, 1.0, 0.0])
    baskets = np.array([5.0, 1.0, 2.0, 1.0])
    rate = np.array([0.6, 0.6, 0.1, 0.1])
    held = hybrid.recently_bought(last, interval, baskets, rate, settings)
    assert held.tolist() == [False, True, False, False]


def test_lines_are_ordered_by_their_keys_then_time_however_wide_the_keys() -> None:
    rng = np.random.default_rng(4)
    basket_time = rng.integers(0, 20, 300)
    for high in (7, 300, 2 ** 40):     # packed into one int64, then too wide to pack: lexsorted as they are
        keys = (np.sort(rng.integers(0, 50, 5_000)), rng.integers(0, high, 5_000), rng.integers(0, 300, 5_000))
        # times varying within a key, then one time per basket (the third key), as an order's lines have
        for at in (rng.integers(0, 20, 5_000), basket_time[keys[2]]):
            assert history._order(keys, at).tolist() == np.lexsort((at,) + tuple(reversed(keys))).tolist()


def test_statistics_do_not_depend_on_the_order_interactions_arrive_in() -> None:
    # two receipts of one moment (a customer's invoices of one minute): which of them is the newer basket in the
    # decay was decided by arrival order, so the same history read in another order gave other rates
    table = pd.DataFrame({"customer_id": ["c"] * 5, "product_id": ["tea", "jam", "tea", "milk", "tea"],
                          "basket_id": ["r1", "r1", "r2", "r3", "r4"],
                          "at": [NOW - DAY_S, NOW - DAY_S, NOW - 5 * DAY_S, NOW - 5 * DAY_S, NOW - 9 * DAY_S],
                          "kind": ["purchase"] * 5})
    decay = BasketDecay(group=2, within=0.5, across=0.25)
    ids = id_maps(table)
    stats = [purchase_stats(history.encode(t, ids), (1, 3), np.full(3, -1), NOW, decay).rate.toarray()
             for t in (table, table.iloc[::-1].assign(basket_id=["x9", "x8", "x7", "x6", "x6"]))]
    assert stats[0] == pytest.approx(stats[1])
    one = [history.encode_one([[p, b, int(a), k, None] for p, b, a, k in zip(
        t["product_id"], t["basket_id"], t["at"], t["kind"])], ids.product_index()) for t in (table, table.iloc[::-1])]
    assert one[0].basket[np.lexsort((one[0].col, one[0].basket))].tolist() == \
        one[1].basket[np.lexsort((one[1].col, one[1].basket))].tolist()
