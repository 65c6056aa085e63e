"""Recommender fixtures: a small synthetic retailer with known answers, loaded once per test module.

The shop: two taste groups of 24 customers each; group A buys a1..a4 together, group B buys b1..b4.
Special customers (times relative to `now`):
  target   bought a1, a2, a3 two days ago and never a4: the withheld a4 must come back first.
  regular  buys bread every 2 days (last 2 days ago: due although recent) and bought a5 yesterday
           (recent, not due: suppressed).
  private  a group A customer who refused personalisation: store-popular offers only.
  kiosker  home store s2 (a kiosk that carries only the b products and bread).
Loyalty cards: CARDS (kiosker's, and b20's for merge tests).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis

from graph.admin import delete_everything
from graph.driver import Graph
from loaders.canonical import load_dir
from recsys import jobs

RETAILER = "shop"
A = [f"shop:a{i}" for i in range(1, 7)]
B = [f"shop:b{i}" for i in range(1, 7)]
BREAD = "shop:bread"
KIOSK_CARRIES = B + [BREAD]
GROUP_SIZE = 24
CARDS = {"card-kiosker": "shop:kiosker", "card-b20": "shop:b20"}


def write_shop(folder: Path, now: datetime) -> Path:
    """Write the canonical files of the shop into `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    orders: list[list[str]] = []
    lines: list[list[str]] = []
    customers: list[list[str]] = []

    def order(customer: str, days_ago: float, products: list[str], store: str = "shop:s1") -> None:
        order_id = f"shop:o{len(orders) + 1}"
        placed = (now - timedelta(days=days_ago)).isoformat()
        orders.append([order_id, RETAILER, customer, store, "pos", placed, "purchase", "completed"])
        lines.extend([order_id, str(n), p, "1", "1.00", "1.00"] for n, p in enumerate(products, start=1))

    def customer(customer_id: str, home: str = "") -> str:
        customers.append([customer_id, RETAILER, customer_id.split(":")[1].title(), home])
        return customer_id

    for group, items in (("a", A), ("b", B)):
        for n in range(GROUP_SIZE):
            who = customer(f"shop:{group}{n}")
            for week in range(4):
                basket = items[:4] if (n + week) % 3 else items[:3] + [items[4 + (n % 2)]]
                order(who, 30 - 7 * week - (n % 5), basket)
    target = customer("shop:target", "shop:s1")
    order(target, 2, A[:3])
    regular = customer("shop:regular", "shop:s1")
    for days_ago in range(20, 1, -2):
        order(regular, days_ago, [BREAD])
    order(regular, 1, [A[4]])
    private = customer("shop:private", "shop:s1")
    for week in range(3):
        order(private, 25 - 7 * week, A[:4])
    kiosker = customer("shop:kiosker", "shop:s2")
    order(kiosker, 9, A[:2], store="shop:s2")
    _write(folder, "retailers", ["retailer_id", "name", "currency", "timezone"], [[RETAILER, "Shop", "EUR", "UTC"]])
    _write(folder, "stores", ["store_id", "retailer_id", "name", "format"],
           [["shop:s1", RETAILER, "Main", "supermarket"], ["shop:s2", RETAILER, "Station kiosk", "kiosk"]])
    _write(folder, "categories", ["category_id", "name", "level"],
           [["shop:snacks", "Snacks", "category"], ["shop:drinks", "Drinks", "category"],
            ["shop:bakery", "Bakery", "category"]])
    products = [[p, RETAILER, f"Snack {p[-2:]}", "shop:snacks"] for p in A]
    products += [[p, RETAILER, f"Drink {p[-2:]}", "shop:drinks"] for p in B]
    products.append([BREAD, RETAILER, "Bread", "shop:bakery"])
    _write(folder, "products", ["product_id", "retailer_id", "name", "category_id"], products)
    carried = [["shop:s1", p[0]] for p in products] + [["shop:s2", p] for p in KIOSK_CARRIES]
    _write(folder, "store_products", ["store_id", "product_id"], carried)
    _write(folder, "customers", ["customer_id", "retailer_id", "first_name", "home_store_id"], customers)
    _write(folder, "identities", ["customer_id", "kind", "value", "channel_id"],
           [[holder, "loyalty_card", card, "pos"] for card, holder in CARDS.items()])
    _write(folder, "consents", ["customer_id", "purpose", "medium", "granted", "updated_at"],
           [[private, "personalisation", "any", "false", now.isoformat()],
            [target, "personalisation", "any", "true", now.isoformat()]])
    _write(folder, "orders", ["order_id", "retailer_id", "customer_id", "store_id", "channel_id", "placed_at", "kind",
                              "status"], orders)
    _write(folder, "order_lines", ["order_id", "line_no", "product_id", "quantity", "unit_price", "amount"], lines)
    return folder


def _write(folder: Path, stem: str, header: list[str], rows: list[list[str]]) -> None:
    with (folder / f"{stem}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)

@dataclass(frozen=True)
class Shop:
    """The loaded shop: its graph, the time its history ends, and where its first model was saved."""

    graph: Graph
    now: datetime
    models_dir: Path
    model_version: str
    group_a: tuple[str, ...] = tuple(A)
    group_b: tuple[str, ...] = tuple(B)
    bread: str = BREAD
    kiosk_carries: frozenset[str] = frozenset(KIOSK_CARRIES)


@pytest.fixture(scope="module")
def shop(session_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The shop loaded into an emptied graph and trained once per module (tests must not change its history
    except through customers of their own)."""
    delete_everything(session_graph)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    folder = tmp_path_factory.mktemp("shop")
    load_dir(session_graph, write_shop(folder / "csv", now), rejects_dir=folder / "rejects", progress=False)
    models_dir = folder / "models"
    trained = jobs.train(session_graph, models_dir, now=now)
    yield Shop(session_graph, now, models_dir, trained[0].artifact.version)
    delete_everything(session_graph)


@pytest.fixture
def served(shop: Shop, cache: redis.Redis) -> Shop:
    """The shop with its offers precomputed into an emptied Redis."""
    jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now)
    return shop
