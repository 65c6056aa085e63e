"""Small hand-built shops: canonical CSV folders written in tmp and loaded with the real loader."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import pytest

from graph.driver import Graph
from graph.analytics import figures_of_customers
from loaders.canonical import load_dir

RETAILER = "r1"


class Shop:
    """Rows per canonical file; `load` writes the folder and loads it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._orders = 0
        self.add("retailers", retailer_id=RETAILER, name="Shop", currency="EUR", timezone="UTC")
        self.add("categories", category_id="food", name="FOOD", level="department")
        self.add("categories", category_id="dairy", name="DAIRY", level="category", parent_id="food")
        self.add("categories", category_id="toys", name="TOYS AND GAMES", level="department")
        self.product("milk", "dairy", consumable=True)
        self.product("cheese", "dairy", consumable=True)
        self.product("bread", "food", consumable=True)
        self.product("teddy", "toys", consumable=False)

    def add(self, file: str, **row: Any) -> None:
        self.rows[file].append(row)

    def product(self, product_id: str, category_id: str, *, consumable: bool, name: str | None = None) -> None:
        self.add("products", product_id=product_id, retailer_id=RETAILER, name=name or product_id.title(),
                 category_id=category_id, price="1.00", is_consumable=str(consumable).lower())

    def customer(self, customer_id: str, **fields: Any) -> str:
        self.add("customers", customer_id=customer_id, retailer_id=RETAILER, **fields)
        return customer_id

    def consent(self, customer_id: str, purpose: str, medium: str, granted: bool, on: date = date(2024, 1, 1)) -> None:
        self.add("consents", customer_id=customer_id, purpose=purpose, medium=medium,
                 granted=str(granted).lower(), updated_at=datetime.combine(on, time(), timezone.utc).isoformat())

    def order(self, customer_id: str, day: date, amount: str, products: tuple[str, ...] = ("bread",),
              kind: str = "purchase", channel: str = "pos") -> str:
        """One order on `day` at noon UTC; the amount goes on the first line, other lines cost 0.01."""
        self._orders += 1
        order_id = f"o{self._orders}"
        self.add("orders", order_id=order_id, retailer_id=RETAILER, customer_id=customer_id, channel_id=channel,
                 placed_at=datetime.combine(day, time(12), timezone.utc).isoformat(), kind=kind)
        sign = "-" if kind == "return" else ""
        for n, product_id in enumerate(products, 1):
            self.add("order_lines", order_id=order_id, line_no=n, product_id=product_id,
                     quantity=f"{sign}1", amount=amount if n == 1 else f"{sign}0.01")
        return order_id

    def write(self) -> Path:
        for kind, rows in self.rows.items():
            columns = list(dict.fromkeys(k for row in rows for k in row))
            with open(self.root / f"{kind}.csv", "w", newline="", encoding="utf-8") as out:
                writer = csv.DictWriter(out, columns)
                writer.writeheader()
                writer.writerows(rows)
        return self.root

    def load(self, graph: Graph) -> None:
        summary = load_dir(graph, self.write(), rejects_dir=self.root / "rejects", progress=False)
        assert summary.rejected == 0, f"test data rejected: see {self.root / 'rejects'}"


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    folder = tmp_path / "shop"
    folder.mkdir()
    return Shop(folder)


@pytest.fixture
def figures(graph: Graph) -> Callable[[str], dict[str, Any]]:
    """The figures stored on one customer."""
    return lambda customer_id: figures_of_customers(graph, [customer_id])[customer_id]
