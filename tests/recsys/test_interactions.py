"""Reading the interactions from the graph: several readers read what one reads; orders and events become rows."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from graph.interactions import ORDER_FIELDS, stream_interactions
from recsys.interactions import COLUMNS, EVENT_KINDS, from_records


def test_several_readers_read_what_one_reads_with_each_customer_once(shop) -> None:
    before = shop.now + timedelta(days=1)
    one = list(stream_interactions(shop.graph, "shop", before, EVENT_KINDS, page=7))
    two = list(stream_interactions(shop.graph, "shop", before, EVENT_KINDS, page=7, readers=2))
    assert sorted(map(repr, two)) == sorted(map(repr, one))
    customers = [customer for customer, _, _ in two]
    assert len(customers) == len(set(customers)) > 2 * 7
    products = ORDER_FIELDS.index("product_ids")
    lines = sum(len(order[products]) for _, orders, _ in one for order in orders)
    assert lines + sum(len(events) for _, _, events in one) > 500


def test_each_product_of_an_order_is_a_row_and_returned_lines_are_returns() -> None:
    # baskets are numbered, orders first; two orders alike are two baskets
    table = from_records([
        ("c1", [[100, "purchase", "s1", "pos", ["milk", "bread", "eggs"], [1]]], [["tea", 150, "view", None, None]]),
        ("c2", [[200, "return", "s2", "pos", ["milk"], []], [300, "purchase", "s2", "pos", [], []],
                [200, "return", "s2", "pos", ["milk"], []]], []),
    ])
    assert list(table.columns) == list(COLUMNS) and str(table["at"].dtype) == "int64"
    rows = [[None if pd.isna(value) else value for value in row] for row in table.values.tolist()]
    assert rows == [
        ["c1", "milk", 0, 100, "purchase", "s1", "pos"], ["c1", "bread", 0, 100, "return", "s1", "pos"],
        ["c1", "eggs", 0, 100, "purchase", "s1", "pos"], ["c2", "milk", 1, 200, "return", "s2", "pos"],
        ["c2", "milk", 3, 200, "return", "s2", "pos"], ["c1", "tea", 4, 150, "view", None, None]]
    assert from_records([]).columns.tolist() == list(COLUMNS) and from_records([("c3", [], [])]).empty
    only_events = from_records([("c4", [], [["tea", 10, "cart", None, None]])])
    assert only_events.values.tolist()[0][:5] == ["c4", "tea", 0, 10, "cart"]
