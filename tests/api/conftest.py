"""API test fixtures: a small canonical data set loaded through the loaders, and an app per role."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.config import ApiConfig, Limits, Role, hash_key
from api.permissions import authenticate
from c360.connect import Targets
from graph.driver import Graph
from loaders.canonical import load_dir
from recsys import keys, offers

KEYS = {role: f"test-key-{role.value}" for role in Role}
T0 = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
ORDERS_OF_ANNA = 50


def _write(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    with (folder / f"{name}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_shop(folder: Path) -> Path:
    """One retailer, two stores, six products, three customers; Anna has 50 orders, events, a case and a
    redeemed coupon of campaign K18 (which Bo also received)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder, "retailers", [{"retailer_id": "R1", "name": "Shop", "currency": "EUR", "timezone": "UTC"}])
    _write(folder, "regions", [{"region_id": "N", "name": "North"}])
    _write(folder, "stores", [{"store_id": s, "retailer_id": "R1", "name": f"Store {s}", "format": "super",
                               "region_id": "N"} for s in ("S1", "S2")])
    _write(folder, "categories", [
        {"category_id": "D1", "name": "Food", "level": "department", "parent_id": ""},
        {"category_id": "C1", "name": "Dairy", "level": "category", "parent_id": "D1"}])
    _write(folder, "brands", [{"brand_id": "B1", "name": "Moo"}])
    _write(folder, "products", [{"product_id": f"P{i}", "retailer_id": "R1", "name": f"Product {i}",
                                 "category_id": "C1", "brand_id": "B1", "price": f"{i}.50",
                                 "is_consumable": "true", "package_size": "1 L"} for i in range(1, 7)])
    _write(folder, "store_products", [{"store_id": "S1", "product_id": f"P{i}", "stock": 10 * i, "source": "erp"}
                                      for i in range(1, 5)])
    _write(folder, "customers", [
        {"customer_id": "C1", "retailer_id": "R1", "first_name": "Anna", "last_name": "Berg",
         "email": "anna@example.com", "phone": "+4670000001", "address": "Storgatan 1", "birthday": "1980-05-17",
         "gender": "F", "age_band": "35-44", "loyalty_tier": "gold", "loyalty_points": "1200", "tags": "vip;eco",
         "home_store_id": "S1", "preferred_channel": "web", "created_at": "2020-01-01T00:00:00+00:00"},
        {"customer_id": "C2", "retailer_id": "R1", "first_name": "Bo", "last_name": "Bergman",
         "email": "bo@example.com", "phone": "+4670000002", "home_store_id": "S2"},
        {"customer_id": "C3", "retailer_id": "R1", "first_name": "Cai", "last_name": "Lund", "home_store_id": "S1"}])
    _write(folder, "identities", [
        {"customer_id": "C1", "kind": "loyalty_card", "value": "900001", "channel_id": "pos", "since": ""},
        {"customer_id": "C1", "kind": "email", "value": "anna@example.com", "channel_id": "web", "since": ""},
        {"customer_id": "C2", "kind": "loyalty_card", "value": "900002", "channel_id": "kiosk", "since": ""}])
    _write(folder, "consents", [
        {"customer_id": "C1", "purpose": "marketing", "medium": "email", "granted": "true",
         "updated_at": "2023-01-01T00:00:00+00:00", "source": "web"}])
    orders, lines = [], []
    for n in range(ORDERS_OF_ANNA):
        placed = T0 + timedelta(days=n)
        orders.append({"order_id": f"O{n:03d}", "retailer_id": "R1", "customer_id": "C1",
                       "store_id": "S1" if n % 2 else "S2", "channel_id": "pos" if n % 2 else "web",
                       "placed_at": placed.isoformat(), "kind": "purchase"})
        for line in (1, 2):
            lines.append({"order_id": f"O{n:03d}", "line_no": line, "product_id": f"P{line + n % 3}",
                          "quantity": 1, "unit_price": "2.00", "amount": "2.00", "discount": "0"})
    _write(folder, "orders", orders)
    _write(folder, "order_lines", lines)
    _write(folder, "events", [{"event_id": f"E{n}", "customer_id": "C1", "kind": "view", "product_id": "P5",
                               "channel_id": "web", "store_id": "", "query": "",
                               "occurred_at": (T0 + timedelta(days=60, hours=n)).isoformat()} for n in range(3)])
    _write(folder, "service_cases", [{"case_id": "K1", "customer_id": "C1", "opened_at": "2024-03-01T10:00:00+00:00",
                                      "channel_id": "service_desk", "subject": "Broken lid", "status": "open",
                                      "order_id": "O001"}])
    _write(folder, "service_notes", [{"note_id": "N1", "case_id": "K1", "at": "2024-03-01T10:05:00+00:00",
                                      "author": "agent7", "text": "Refund offered"}])
    _write(folder, "campaigns", [{"campaign_id": "K18", "retailer_id": "R1", "name": "Spring", "type": "TypeA",
                                  "start_date": "2024-03-01", "end_date": "2024-03-31"}])
    _write(folder, "campaign_recipients", [{"campaign_id": "K18", "customer_id": c} for c in ("C1", "C2")])
    _write(folder, "coupons", [{"coupon_id": "Q1", "campaign_id": "K18", "product_id": "P1"}])
    _write(folder, "coupon_redemptions", [{"customer_id": "C1", "coupon_id": "Q1", "campaign_id": "K18",
                                           "redeemed_on": "2024-03-05"}])
    return folder


@pytest.fixture(scope="session")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture
def shop(graph: Graph, shop_dir: Path) -> Graph:
    """The graph holding the small shop (emptied and reloaded for each test)."""
    load_dir(graph, shop_dir, progress=False)
    return graph


def api_config(targets: Targets, limits: Limits = Limits()) -> ApiConfig:
    return ApiConfig(neo4j_uri=targets.neo4j_uri, neo4j_user=targets.neo4j_user,
                     neo4j_password=targets.neo4j_password, neo4j_database=targets.neo4j_database,
                     redis_url=targets.redis_url, key_hashes={hash_key(k): r for r, k in KEYS.items()}, limits=limits)


@pytest.fixture
def client(targets: Targets, cache: Any) -> Iterator[TestClient]:
    """The app (lifespan run) behind a test client; send `headers=as_role(...)`."""
    with TestClient(create_app(api_config(targets))) as test_client:
        yield test_client


class Api:
    """The test client plus helpers: `api.query(doc, role, **variables)` returns the JSON response."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def services(self) -> Any:
        return self.client.app.state.services  # type: ignore[attr-defined]

    @staticmethod
    def headers(role: Role | None, session: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {KEYS[role]}"} if role else {}
        return headers | ({"X-Customer-Session": session} if session else {})

    def session(self, role: Role, customer_id: str) -> str | None:
        """The customer session a web or kiosk key gets on identifying the customer (test_sessions.py does it the
        long way: a card scan)."""
        caller = authenticate(KEYS[role], self.services.key_hashes)
        assert caller is not None
        return self.services.sessions.issue(customer_id, caller)

    def identified(self, role: Role, customer_id: str) -> dict[str, Any]:
        """`query` arguments for `role` having identified the customer: `api.query(doc, **api.identified(...))`."""
        return {"role": role, "session": self.session(role, customer_id)}

    def query(self, document: str, role: Role | None = Role.SERVICE_DESK, session: str | None = None,
              **variables: Any) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": document, "variables": variables},
                                    headers=self.headers(role, session))
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


VERSION = "v-test"
COMPUTED_AT = "2024-06-01T08:00:00+00:00"


def seed_offers(cache: Any, customer_lists: dict[str, list[str]] | None = None) -> None:
    """An offer store version with C1's list, popular lists, names and store S1's assortment (P1..P4)."""
    lists = customer_lists if customer_lists is not None else {"C1": ["P5", "P1", "P2", "P3"]}
    for customer_id, products in lists.items():
        entries = [[p, 1.0 - n / 10, "buy_again", None, None] for n, p in enumerate(products)]
        cache.set(keys.customer_offers(customer_id, VERSION), offers.encode_list(
            "als-test", COMPUTED_AT, "model", entries, [["P6", "no consent to personalisation"]]))
    cache.set(keys.popular_at_store("S1", VERSION), offers.encode_popular([("P4", 9.0), ("P3", 8.0), ("P1", 7.0)]))
    cache.set(keys.popular_overall(VERSION), offers.encode_popular([("P6", 9.0), ("P5", 8.0), ("P4", 7.0)]))
    cache.hset(keys.product_names(VERSION), mapping={f"P{i}": f"Product {i}" for i in range(1, 7)})
    cache.sadd(keys.store_assortment("S1", VERSION), "P1", "P2", "P3", "P4")
    offers.switch(cache, VERSION)
