"""The lifespan's warm-up: the hot requests meet query plans Neo4j has made already, and it writes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from api.app import create_app
from api.config import Role
from graph.census import fingerprint
from graph.driver import Graph
from graph.events import RECORD_EVENTS
from recsys import keys
from tests.api.conftest import Api, api_config, seed_offers
from tests.api.test_mutations import EVENT
from tests.query_stats import collecting, drop_plans, invocations, latest_start, ran_since

CUSTOMER_360 = """query($id: ID!) { customer(id: $id) {
  id firstName contact { email phone } identities { kind value } consents { purpose granted } homeStore { name }
  value { orderCount } orders(first: 50) { totalCount nodes { id store { name } lines { product { name } } } }
  events(first: 10) { kind product { name } } timeline(first: 5) { kind } } }"""
SCAN = """query($card: String!) { customerByIdentity(kind: LOYALTY_CARD, value: $card) { customerSession } }"""
KIOSK = """query($card: String!) { nextBestOffers(identity: {kind: LOYALTY_CARD, value: $card}, store: "S1",
  channel: KIOSK, limit: 10) { offers { product { id name price { amount } } } suppressed { product { id } } } }"""
PHONE = """query($phone: String!) { customerByIdentity(kind: PHONE, value: $phone) { id } }"""
SEARCH = """query($name: String!) { searchCustomers(name: $name) { nodes { id firstName lastName } } }"""
PRODUCT = """{ product(id: "P1") { name availability { store { id } stock } } }"""


@pytest.fixture
def collected(shop: Graph) -> Iterator[Graph]:
    """The shop's graph with Neo4j's plans dropped and its query collection running."""
    with collecting(shop):
        yield shop


def test_hot_requests_find_every_query_planned_in_their_shape(collected: Graph, cache: redis.Redis,
                                                              targets: Any) -> None:
    seed_offers(cache)
    with TestClient(create_app(api_config(targets))) as client:
        started = latest_start(collected)
        api = Api(client)
        session = api.query(SCAN, role=Role.KIOSK, card="900001")["data"]["customerByIdentity"]["customerSession"]
        assert api.query(KIOSK, role=Role.KIOSK, card="900001")["data"]["nextBestOffers"]["offers"]
        assert api.query(CUSTOMER_360, id="C1")["data"]["customer"]["orders"]["totalCount"] == 50
        assert api.query(PHONE, phone="+46 70 111 22 33")["data"]["customerByIdentity"] is None
        assert api.query(SEARCH, name="Anna")["data"]["searchCustomers"]["nodes"]
        assert api.query(SEARCH, name="anna berg")["data"]["searchCustomers"]["nodes"]
        assert api.query(PRODUCT, role=Role.WEB)["data"]["product"]["availability"]
        event = {"eventId": "warm-1", "kind": "VIEW", "channel": "KIOSK", "customer": "C1", "product": "P1"}
        assert api.query(EVENT, role=Role.KIOSK, session=session, input=event)["data"]["recordEvent"]["created"]
    warmed, served = _shapes(collected, started)
    assert served, "the requests ran no query"
    unplanned = {query[:60]: shapes - warmed.get(query, set()) for query, shapes in served.items()
                 if shapes - warmed.get(query, set())}
    assert not unplanned, unplanned


def test_plans_dropped_while_serving_are_made_again(collected: Graph, cache: redis.Redis, targets: Any) -> None:
    with TestClient(create_app(replace(api_config(targets), warm_up_every_s=0.2))):
        dropped = drop_plans(collected)
        deadline = time.monotonic() + 30
        while not ran_since(collected, RECORD_EVENTS, dropped) and time.monotonic() < deadline:
            time.sleep(0.2)      # the warm-up's event write: no request of these tests makes one
        assert ran_since(collected, RECORD_EVENTS, dropped), "no warm-up ran after the plans were dropped"


def test_warm_up_writes_nothing(shop: Graph, cache: redis.Redis, targets: Any) -> None:
    before = fingerprint(shop)
    with TestClient(create_app(api_config(targets))):
        pass
    assert fingerprint(shop) == before
    assert not cache.exists(keys.event_stream())


def _shapes(graph: Graph, split: int) -> tuple[dict[str, set[tuple[Any, ...]]], dict[str, set[tuple[Any, ...]]]]:
    """Per query text, the parameter shapes it ran in up to `split` (the warm-up) and after it (the requests)."""
    warmed: dict[str, set[tuple[Any, ...]]] = {}
    served: dict[str, set[tuple[Any, ...]]] = {}
    for query, calls in invocations(graph):
        for call in calls:
            shape = tuple(sorted((name, _shape(value)) for name, value in (call.get("params") or {}).items()))
            (warmed if call["startTimestampMillis"] <= split else served).setdefault(query, set()).add(shape)
    return warmed, served


def _shape(value: Any) -> Any:
    """What Neo4j keys a plan by: the type, and for a list or a string its length to the power of ten (as db.stats
    shows a list: "§LIST[n]")."""
    if isinstance(value, str) and value.startswith(("§LIST[", "§MAP[")):
        kind, size = value[1:-1].split("[")
        return (kind, _magnitude(int(size))) if kind == "LIST" else kind
    if isinstance(value, str):
        return "STRING", _magnitude(len(value))
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "NUMBER"
    return type(value).__name__


def _magnitude(size: int) -> int:
    """0, 1, 2-10, 11-100, ... as 0, 1, 2, 3, ..."""
    return size if size < 2 else len(str(size - 1)) + 1
