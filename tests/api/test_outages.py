"""A Neo4j or Redis outage is a clear error with a code, never a stack trace."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncGraphDatabase

from api.config import Role
from c360.services import free_port
from graph.driver import AsyncGraph


def test_graph_outage_is_a_coded_error_without_internals(shop: Any, api: Any) -> None:
    # given a graph nobody answers for
    healthy = api.services.graph
    dead = AsyncGraph(AsyncGraphDatabase.driver(f"bolt://127.0.0.1:{free_port()}", auth=("neo4j", "x"),
                                                connection_acquisition_timeout=2, max_transaction_retry_time=0))
    api.services.graph = dead
    try:
        # when
        result = api.query('{ customer(id: "C1") { id firstName } }', role=Role.KIOSK)
    finally:
        api.services.graph = healthy
        api.client.portal.call(dead.close)
    # then
    [error] = result["errors"]
    assert result["data"] == {"customer": None}
    assert error["extensions"] == {"code": "GRAPH_UNAVAILABLE"}
    assert error["message"] == "The customer graph (Neo4j) is unavailable; try again shortly."
