"""The Complete Journey's catalogue and its 1.47 M transaction lines, streamed into orders with lines.

Lines of a basket are consecutive in transactions.csv.gz; each basket becomes one Order written once with
all its lines (graph.orders.create_orders_with_lines), so an interrupted load re-runs cleanly. A basket
whose lines reappear later in the file gets them appended with upsert_order_lines, keyed by line number.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from graph import customers, orders, products, stores
from graph.driver import Graph
from loaders.batches import Batch, Write
from loaders.context import Context
from loaders.journey_rows import categories_of, cj, household, member_no_of, product_of, store, unlisted_product
from loaders.orders import line_kind
from loaders.report import FileStats
from loaders.rows import Rejected, RowRef, SourceFile, to_minor
from loaders.session import LoadSession

BASKET_LINES = 10_000
CARRIES_BATCH = 20_000


class Catalogue:
    """Parses products.csv into products, remembering their ids and which categories and brands exist."""

    def __init__(self) -> None:
        self.product_ids: set[str] = set()
        self._categories: dict[str, dict[str, Any]] = {}
        self._brands: set[str] = set()

    def parse(self, row: dict[str, str], ctx: Context) -> dict[str, Any]:
        levels = categories_of(row)
        product = product_of(row, levels[-1]["category_id"] if levels else None)
        product["categories"] = levels
        self.product_ids.add(product["product_id"])
        return product

    def write(self, graph: Graph, rows: list[dict[str, Any]]) -> int:
        """New categories and brands of this batch first, then the products."""
        categories = [c for row in rows for c in row.pop("categories") if c["category_id"] not in self._categories]
        fresh = list({c["category_id"]: c for c in categories}.values())
        products.upsert_categories(graph, fresh)
        self._categories.update((c["category_id"], c) for c in fresh)
        brands = {row["brand_id"] for row in rows if row["brand_id"]} - self._brands
        products.upsert_brands(graph, [{"brand_id": b, "name": b.removeprefix("cj:").title()} for b in sorted(brands)])
        self._brands |= brands
        return products.upsert_products(graph, rows)


    def with_unlisted_products(self, write: Write) -> Write:
        """`write`, preceded by creating the products its rows name that the catalogue lacks."""
        def write_after_products(graph: Graph, rows: list[dict[str, Any]]) -> int:
            unknown = sorted({row["product_id"] for row in rows} - self.product_ids)
            products.upsert_products(graph, [unlisted_product(p) for p in unknown])
            self.product_ids.update(unknown)
            return write(graph, rows)
        return write_after_products


class BasketStream:
    """Streams transaction lines into baskets, writing new households, stores and unlisted products first."""

    def __init__(self, session: LoadSession, catalogue: Catalogue) -> None:
        self.session = session
        self.catalogue = catalogue
        self.households: set[str] = set()
        self.stores: set[str] = set()
        self.carries: set[tuple[str, str]] = set()
        self.line_counts: dict[str, int] = {}
        self._orders: list[dict[str, Any]] = []
        self._late_lines: list[dict[str, Any]] = []
        self._pending_lines = 0
        self._new: dict[str, list[dict[str, Any]]] = {"customers": [], "stores": [], "products": []}
        self._stats = FileStats("transactions")

    def load(self, source: SourceFile) -> FileStats:
        started, stats = time.perf_counter(), self.session.summary.add(source.name)
        task = self.session.bar.task(source.name, source.size)
        col = {name: source.header.index(name) for name in source.header}
        width = len(source.header)
        self._stats = stats
        basket: dict[str, Any] | None = None
        for line, f in source.rows():
            stats.read += 1
            where = RowRef(source.name, line)
            try:
                if len(f) != width:
                    raise Rejected("", f"{len(f)} fields where the header has {width}")
                entry = self._line(f, col)
            except Rejected as bad:
                self.session.rejects.add(where, bad.field, bad.reason, f, stats)
                continue
            if basket is None or basket["order_id"] != entry["order_id"]:
                self._finish(basket)
                if self._pending_lines >= BASKET_LINES:
                    self._flush()
                    self.session.bar.update(task, source.position(), stats.read)
                basket = self._start(entry, f, col)
            self._add_line(basket, entry)
        self._finish(basket)
        self._stats = stats
        self._flush()
        self.session.drain()
        self.session.bar.update(task, source.size, stats.read)
        stats.seconds = time.perf_counter() - started
        self._write_carries()
        return stats

    def _line(self, f: list[str], col: dict[str, int]) -> dict[str, Any]:
        """One parsed line; money in cents, discounts as positive money off."""
        quantity = f[col["quantity"]]
        if not quantity.lstrip("-").isdigit():
            raise Rejected("quantity", f"{quantity!r} is not a whole number")
        amount = to_minor("sales_value", f[col["sales_value"]])
        product_id, quantity_n = cj(f[col["product_id"]]), int(quantity)
        for name in ("basket_id", "household_id", "store_id", "product_id"):
            if not f[col[name]].isdigit():
                raise Rejected(name, f"{f[col[name]]!r} is not an id")
        return {"order_id": cj(f[col["basket_id"]]), "product_id": product_id, "quantity": quantity_n,
                "at": _utc(f[col["transaction_timestamp"]]),
                "amount_minor": amount, "discount_minor": abs(to_minor("retail_disc", f[col["retail_disc"]])),
                "coupon_discount_minor": abs(to_minor("coupon_disc", f[col["coupon_disc"]])),
                "coupon_match_discount_minor": abs(to_minor("coupon_match_disc", f[col["coupon_match_disc"]])),
                "kind": line_kind(quantity_n, amount)}

    def _start(self, entry: dict[str, Any], f: list[str], col: dict[str, int]) -> dict[str, Any]:
        """A new basket; its household and store are queued for writing if not seen yet."""
        household_id, store_id = f[col["household_id"]], f[col["store_id"]]
        if household_id not in self.households:
            self.households.add(household_id)
            self._new["customers"].append(household(household_id))
        if store_id not in self.stores:
            self.stores.add(store_id)
            self._new["stores"].append(store(store_id))
        return {"order_id": entry["order_id"], "customer_id": cj(household_id), "store_id": cj(store_id),
                "store_no": int(store_id), "week": int(f[col["week"]]) if f[col["week"]].isdigit() else None,
                "at": entry["at"], "lines": []}

    def _add_line(self, basket: dict[str, Any], entry: dict[str, Any]) -> None:
        product_id = entry["product_id"]
        if product_id not in self.catalogue.product_ids:
            self.catalogue.product_ids.add(product_id)
            self._new["products"].append(unlisted_product(product_id))
        self.carries.add(basket["store_no"] * 10**10 + int(product_id.removeprefix("cj:")))
        basket["at"] = min(basket["at"], entry.pop("at"))
        del entry["order_id"]
        basket["lines"].append(entry)

    def _finish(self, basket: dict[str, Any] | None) -> None:
        """A complete basket becomes an order row; lines of a basket seen before are appended to it."""
        if basket is None:
            return
        order_id, lines = basket["order_id"], basket["lines"]
        done = self.line_counts.get(order_id, 0)
        for number, line in enumerate(lines, start=done + 1):
            line["line_no"] = number
        self.line_counts[order_id] = done + len(lines)
        self._pending_lines += len(lines)
        if done:
            self._late_lines.extend({"order_id": order_id, "line_no": line.pop("line_no"),
                                     "product_id": line.pop("product_id"), "props": line} for line in lines)
            return
        self._orders.append(_order(basket))

    def _flush(self) -> None:
        """Queue what this batch needs (households, identities, stores, unlisted products), then its orders."""
        new, stats = self._new, self._stats
        late = len(self._late_lines)
        for write, rows, weight in (
                (customers.upsert_customers, new["customers"], 0),
                (customers.upsert_identities, [member_no_of(c["customer_id"]) for c in new["customers"]], 0),
                (stores.upsert_stores, new["stores"], 0), (products.upsert_products, new["products"], 0),
                (orders.create_orders_with_lines, self._orders, self._pending_lines - late),
                (orders.upsert_order_lines, self._late_lines, late)):
            self.session.submit(Batch(write, rows, [], stats, weight=weight))
        self._new = {"customers": [], "stores": [], "products": []}
        self._orders, self._late_lines, self._pending_lines = [], [], 0

    def _write_carries(self) -> None:
        """Store-[:CARRIES {source: 'derived_from_sales'}]->Product for every product a store sold."""
        started, stats = time.perf_counter(), self.session.summary.add("store assortment (derived)")
        rows = [{"store_id": cj(str(key // 10**10)), "product_id": cj(str(key % 10**10)), "stock": None,
                 "source": "derived_from_sales"} for key in sorted(self.carries)]
        stats.read = len(rows)
        for start in range(0, len(rows), CARRIES_BATCH):
            chunk = rows[start:start + CARRIES_BATCH]
            self.session.submit(Batch(stores.upsert_store_products, chunk, [], stats))
        self.session.drain()
        stats.seconds = time.perf_counter() - started


def _order(basket: dict[str, Any]) -> dict[str, Any]:
    """The order row of a complete basket, with its totals in cents."""
    lines = basket["lines"]
    goods = sum(line["amount_minor"] for line in lines)
    props = {"placed_at": basket["at"], "kind": "purchase", "status": "completed", "week": basket["week"],
             "line_count": len(lines), "goods_minor": goods, "total_minor": goods,
             "discount_minor": sum(line["discount_minor"] for line in lines),
             "coupon_discount_minor": sum(line["coupon_discount_minor"] for line in lines),
             "coupon_match_discount_minor": sum(line["coupon_match_discount_minor"] for line in lines)}
    return {"order_id": basket["order_id"], "retailer_id": "cj", "customer_id": basket["customer_id"],
            "store_id": basket["store_id"], "region_id": None, "channel_id": "pos", "props": props,
            "lines": lines}


def _utc(value: str) -> datetime:
    """complete_journey's timestamps are naive UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Rejected("transaction_timestamp", f"{value!r} is not a time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
