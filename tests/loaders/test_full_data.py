"""The two real data sets loaded in full give exactly the counts ../shared/data/README.md states."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.admin import label_counts
from graph.driver import Graph
from graph.retailers import retailer_order_counts
from loaders import complete_journey, online_retail

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


def test_complete_journey_in_full(graph: Graph, shared_data: Path, tmp_path: Path) -> None:
    summary = complete_journey.load_dir(graph, shared_data / "complete_journey", rejects_dir=tmp_path,
                                        progress=False)

    assert summary.file("transactions.csv.gz").read == 1_469_307 and summary.rejected == 0
    counts = label_counts(graph)
    assert (counts["Customer"], counts["Store"], counts["Order"]) == (2_469, 457, 155_848)
    assert retailer_order_counts(graph, "cj") == {("purchase", False): 155_848}


def test_online_retail_in_full(graph: Graph, shared_data: Path, tmp_path: Path) -> None:
    summary = online_retail.load_dir(graph, shared_data / "online_retail", rejects_dir=tmp_path, progress=False)

    assert (summary.read, summary.written, summary.rejected) == (541_909, 541_909, 0)
    assert (label_counts(graph)["Customer"], label_counts(graph)["Order"]) == (4_372, 25_900)
    # 22,061 invoices + 3,836 cancellations + 3 bad-debt adjustments; 3,710 guest invoices
    assert retailer_order_counts(graph, "uci") == {
        ("purchase", False): 18_536, ("purchase", True): 2_189, ("return", False): 3_654, ("return", True): 182,
        ("adjustment", True): 1_339}
