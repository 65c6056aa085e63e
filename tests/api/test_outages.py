"""A Neo4j or Redis outage is a clear error with a code, never a stack trace."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncGraphDatabase

from api.config import Role
from c360.services import free_port
from graph.driver import AsyncGraph
from tests.api.conftest import seed_offers


def dead_graph() -> AsyncGraph:
    """A graph nobody answers for."""
    return AsyncGraph(AsyncGraphDatabase.driver(f"bolt://127.0.0.1:{free_port()}", auth=("neo4j", "x"),
                                                connection_acquisition_timeout=2, max_transaction_retry_time=0))


def test_graph_outage_is_a_coded_error_without_internals(shop: Any, api: Any) -> None:
    # given a graph nobody answers for
    healthy, dead = api.services.graph, dead_graph()
    api.services.graph = dead
    try:
        # when
        result = api.query('{ customer(id: "C1") { id firstName } }', **api.identified(Role.KIOSK, "C1"))
    finally:
        api.services.graph = healthy
        api.client.portal.call(dead.close)
    # then
    [error] = result["errors"]
    assert result["data"] == {"customer": None}
    assert error["extensions"] == {"code": "GRAPH_UNAVAILABLE"}
    assert error["message"] == "The customer graph (Neo4j) is unavailable; try again shortly."


def test_kiosk_offers_for_a_store_keep_coming_from_redis_while_the_graph_is_down(shop: Any, cache: Any,
                                                                                 api: Any) -> None:
    # given offers in Redis, a graph nobody answers for and, in the process cache, no store S2 (a store the offer
    # version has no bestsellers or assortment of, so the API would look it up)
    seed_offers(cache)
    healthy, dead = api.services.graph, dead_graph()
    api.services.graph = dead
    api.services.catalog.stores.entries.clear()
    try:
        # when a kiosk asks for a store's offers (the store cannot be checked)
        result = api.query('{ nextBestOffers(customer: "C1", store: "S2", channel: KIOSK) { offers { score } } }',
                           **api.identified(Role.KIOSK, "C1"))
    finally:
        api.services.graph = healthy
        api.client.portal.call(dead.close)
    # then they come, unchecked, from Redis
    assert "errors" not in result and result["data"]["nextBestOffers"]["offers"]
