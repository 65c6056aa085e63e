"""Reading the interactions from the graph: several readers read what one reads."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import groupby

from graph.interactions import stream_interactions
from recsys.interactions import EVENT_KINDS


def test_several_readers_read_what_one_reads_with_each_customer_together(shop) -> None:
    before = shop.now + timedelta(days=1)
    one = list(stream_interactions(shop.graph, "shop", before, EVENT_KINDS, page=7))
    two = list(stream_interactions(shop.graph, "shop", before, EVENT_KINDS, page=7, readers=2))
    assert len(one) > 500 and Counter(two) == Counter(one)
    customers = [row[0] for row in two]
    assert len([c for c, _ in groupby(customers)]) == len(set(customers)) > 2 * 7
