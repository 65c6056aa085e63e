"""Removing given nodes by natural key (what the benchmarks use to leave a graph as they found it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from graph.admin import delete_nodes
from graph.channels import ensure_channels
from graph.driver import Graph
from graph.events import record_events


def test_nodes_named_by_key_go_with_their_relationships_and_nothing_else(graph: Graph) -> None:
    # given three views of one channel
    ensure_channels(graph)
    at = datetime(2024, 6, 1, tzinfo=UTC)
    record_events(graph, [{"event_id": f"E{n}", "customer_id": None, "product_id": None, "channel_id": "web",
                           "store_id": None, "props": {"kind": "view", "occurred_at": at}} for n in range(3)])
    # when two of them (and one that does not exist) are removed
    removed = delete_nodes(graph, "Event", ["E0", "E2", "E9"], batch=1)
    # then
    assert removed == 2
    assert [r["id"] for r in graph.read("MATCH (e:Event) RETURN e.event_id AS id")] == ["E1"]
    assert graph.read("MATCH (:Channel {channel_id: 'web'})<-[v:VIA]-() RETURN count(v) AS n")[0]["n"] == 1


def test_only_labels_of_the_graph_can_be_named(graph: Graph) -> None:
    with pytest.raises(ValueError, match=re.escape("'Event) DETACH DELETE' is not a node label")):
        delete_nodes(graph, "Event) DETACH DELETE", ["x"])
