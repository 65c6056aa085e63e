"""Reading the interactions from the graph: several readers read what one reads; baskets become table rows."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from graph.interactions import stream_baskets
from recsys.interactions import COLUMNS, EVENT_KINDS, from_baskets


def test_several_readers_read_what_one_reads_with_each_customer_once(shop) -> None:
    before = shop.now + timedelta(days=1)
    one = list(stream_baskets(shop.graph, "shop", before, EVENT_KINDS, page=7))
    two = list(stream_baskets(shop.graph, "shop", before, EVENT_KINDS, page=7, readers=2))
    assert sorted(map(repr, two)) == sorted(map(repr, one))
    customers = [customer for customer, _ in two]
    assert len(customers) == len(set(customers)) > 2 * 7
    assert sum(len(basket[5]) for _, baskets in one for basket in baskets) > 500


def test_each_product_of_a_basket_is_a_row_and_returned_lines_are_returns() -> None:
    table = from_baskets([
        ("c1", [["o1", 100, "purchase", "s1", "pos", ["milk", "bread", "eggs"], [1]],
                ["e1", 150, "view", None, "web", ["tea"], []]]),
        ("c2", [["o2", 200, "return", "s2", "pos", ["milk"], []], ["o3", 300, "purchase", "s2", "pos", [], []]]),
    ])
    assert list(table.columns) == list(COLUMNS) and str(table["at"].dtype) == "int64"
    rows = [[None if pd.isna(value) else value for value in row] for row in table.values.tolist()]
    assert rows == [
        ["c1", "milk", "o1", 100, "purchase", "s1", "pos"], ["c1", "bread", "o1", 100, "return", "s1", "pos"],
        ["c1", "eggs", "o1", 100, "purchase", "s1", "pos"], ["c1", "tea", "e1", 150, "view", None, "web"],
        ["c2", "milk", "o2", 200, "return", "s2", "pos"]]
    assert from_baskets([]).columns.tolist() == list(COLUMNS) and from_baskets([("c3", [])]).empty
