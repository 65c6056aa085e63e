"""`c360 load online-retail PATH`: UCI Online Retail as a second retailer "uci" (web channel, GBP, UK time).

Mapping (every decision is in the README's Loaders section):
  InvoiceNo         -> Order "uci:<InvoiceNo>" via web, IN_REGION its Country; C... invoices are returns,
                       A... invoices (bad debt) and stock write-offs are adjustments
  CustomerID        -> Customer "uci:<CustomerID>" with Identity web_account; empty: a guest (anonymous) order
  StockCode         -> Product "uci:<CODE>" (case-insensitive), named by its most frequent Description and
                       priced at its latest sale; POST, DOT, C2, M, D, S, B, BANK CHARGES, AMAZONFEE, CRUK and
                       gift vouchers are Charge lines (Order-[:CHARGED]->Charge), not products
  Country           -> Region "uci:country:<slug>"
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from graph import charges, customers, orders, products, retailers, stores
from graph.driver import Graph
from loaders.batches import Batch
from loaders.report import FileStats, LoadSummary
from loaders.retail_rows import (COLUMNS, RETAILER, Clock, charge_of, customer_no, customer_of, invoice_no,
                                 line_kind, order_kind, price_minor, quantity_of, region_of, stock_code, uci,
                                 web_account_of)
from loaders.rows import Rejected, RowRef, SourceFile, required_file
from loaders.session import LoadSession

INVOICE_LINES = 10_000
PRODUCT_BATCH = 5_000


def load_dir(graph: Graph, path: Path, *, rejects_dir: Path | None = None, progress: bool = True) -> LoadSummary:
    """Load online_retail.csv.gz (or .csv) from the folder `path`."""
    source = required_file(Path(path), "online_retail", COLUMNS)
    try:
        with LoadSession(graph, rejects_dir, progress) as session:
            retailers.upsert_retailers(graph, [RETAILER])
            InvoiceStream(session).load(source)
    finally:
        source.close()
    return session.summary


class InvoiceStream:
    """Streams invoice lines into orders; new regions, customers, products and charges are written first."""

    def __init__(self, session: LoadSession) -> None:
        self.session = session
        self.clock = Clock()
        self.seen: dict[str, set[str]] = {"regions": set(), "customers": set(), "products": set(), "charges": set()}
        self.new: dict[str, list[dict[str, Any]]] = {kind: [] for kind in self.seen}
        self.line_counts: dict[str, int] = {}
        self.names: dict[str, Counter[str]] = {}
        self.prices: dict[str, int] = {}
        self.orders: list[dict[str, Any]] = []
        self.late_lines: list[dict[str, Any]] = []
        self.late_charges: list[dict[str, Any]] = []
        self.pending = 0
        self.stats = FileStats("online_retail")

    def load(self, source: SourceFile) -> FileStats:
        started, stats = time.perf_counter(), self.session.summary.add(source.name)
        task = self.session.bar.task(source.name, source.size)
        col = [source.header.index(name) for name in COLUMNS]
        width = len(source.header)
        self.stats = stats
        invoice: dict[str, Any] | None = None
        for line, fields in source.rows():
            stats.read += 1
            try:
                if len(fields) != width:
                    raise Rejected("", f"{len(fields)} fields where the header has {width}")
                entry = self._entry([fields[i] for i in col])
            except Rejected as bad:
                self.session.rejects.add(RowRef(source.name, line), bad.field, bad.reason, fields, stats)
                continue
            if invoice is None or invoice["invoice"] != entry["invoice"]:
                self._finish(invoice)
                if self.pending >= INVOICE_LINES:
                    self._flush()
                    self.session.bar.update(task, source.position(), stats.read)
                invoice = self._start(entry)
            self._add(invoice, entry)
        self._finish(invoice)
        self._flush()
        self.session.drain()
        self._write_product_details()
        self.session.bar.update(task, source.size, stats.read)
        stats.seconds = time.perf_counter() - started
        return stats

    def _entry(self, f: list[str]) -> dict[str, Any]:
        """One parsed line from the fields in COLUMNS order."""
        invoice, code, quantity, unit = invoice_no(f[0]), stock_code(f[1]), quantity_of(f[3]), price_minor(f[5])
        country = f[7].strip() or "Unspecified"
        return {"invoice": invoice, "code": code, "description": f[2].strip(), "quantity": quantity,
                "unit_price_minor": unit, "at": self.clock.utc(f[4]), "customer": customer_no(f[6]),
                "country": country}

    def _start(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A new invoice; its region and customer are queued for writing if not seen yet."""
        region = region_of(entry["country"])
        if self._first("regions", region["region_id"]):
            self.new["regions"].append(region)
        customer = entry["customer"]
        if customer is not None and self._first("customers", customer):
            self.new["customers"].append(customer_of(customer, region["region_id"]))
        done = self.line_counts.get(uci(entry["invoice"]), 0)
        return {"invoice": entry["invoice"], "customer": customer, "region_id": region["region_id"],
                "at": entry["at"], "lines": [], "charges": [], "done": done, "next_no": done + 1}

    def _add(self, invoice: dict[str, Any], entry: dict[str, Any]) -> None:
        """A goods line or a charge line of the invoice, numbered in file order."""
        code, quantity, unit = entry["code"], entry["quantity"], entry["unit_price_minor"]
        invoice["at"] = min(invoice["at"], entry["at"])
        line = {"line_no": invoice["next_no"], "quantity": quantity, "unit_price_minor": unit,
                "amount_minor": quantity * unit}
        invoice["next_no"] += 1
        charge = charge_of(code)
        if charge is not None:
            if self._first("charges", code):
                self.new["charges"].append(charge)
            invoice["charges"].append({**line, "charge_id": charge["charge_id"], "description": entry["description"]})
            return
        if self._first("products", code):
            self.new["products"].append(_product(code, entry["description"]))
        self._remember(code, entry, invoice["invoice"])
        invoice["lines"].append({**line, "product_id": uci(code), "discount_minor": 0,
                                 "kind": line_kind(invoice["invoice"], quantity, unit)})

    def _remember(self, code: str, entry: dict[str, Any], invoice: str) -> None:
        """Description counts and the latest sale price, for the products' final name and price."""
        if entry["description"]:
            self.names.setdefault(code, Counter())[entry["description"]] += 1
        if entry["unit_price_minor"] > 0 and entry["quantity"] > 0 and invoice.isdigit():
            self.prices[code] = entry["unit_price_minor"]

    def _first(self, kind: str, key: str) -> bool:
        if key in self.seen[kind]:
            return False
        self.seen[kind].add(key)
        return True

    def _finish(self, invoice: dict[str, Any] | None) -> None:
        """A complete invoice becomes an order row; the lines of an invoice seen before are appended to it."""
        if invoice is None:
            return
        order_id = uci(invoice["invoice"])
        self.line_counts[order_id] = invoice["next_no"] - 1
        self.pending += invoice["next_no"] - 1 - invoice["done"]
        if not invoice["done"]:
            self.orders.append(_order(order_id, invoice))
            return
        for line in invoice["lines"]:
            self.late_lines.append(_late(order_id, line, "product_id"))
        for line in invoice["charges"]:
            self.late_charges.append(_late(order_id, line, "charge_id"))

    def _flush(self) -> None:
        """Queue what this batch needs (regions, customers, identities, products, charges), then its orders."""
        new, late = self.new, len(self.late_lines) + len(self.late_charges)
        for write, rows, weight in (
                (stores.upsert_regions, new["regions"], 0), (customers.upsert_customers, new["customers"], 0),
                (customers.upsert_identities, [web_account_of(c["customer_id"].removeprefix("uci:"))
                                               for c in new["customers"]], 0),
                (products.upsert_products, new["products"], 0), (charges.upsert_charges, new["charges"], 0),
                (orders.create_orders_with_lines, self.orders, self.pending - late),
                (orders.upsert_order_lines, self.late_lines, len(self.late_lines)),
                (orders.upsert_order_charges, self.late_charges, len(self.late_charges))):
            self.session.submit(Batch(write, rows, [], self.stats, weight=weight))
        self.new = {kind: [] for kind in self.seen}
        self.orders, self.late_lines, self.late_charges, self.pending = [], [], [], 0

    def _write_product_details(self) -> None:
        """Every product's most frequent description as its name and its latest sale price."""
        rows = [_product(code, _name(self.names.get(code)), self.prices.get(code))
                for code in sorted(self.seen["products"])]
        for start in range(0, len(rows), PRODUCT_BATCH):
            self.session.submit(Batch(products.upsert_products, rows[start:start + PRODUCT_BATCH], [], self.stats,
                                      weight=0))
        self.session.drain()


def _product(code: str, name: str | None, price: int | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"name": name or None, "stock_code": code, "in_catalogue": True}
    if price is not None:
        props["price_minor"] = price
    return {"product_id": uci(code), "retailer_id": "uci", "category_id": None, "brand_id": None, "props": props}


def _name(descriptions: Counter[str] | None) -> str | None:
    """The most frequent description (ties: the first seen)."""
    return descriptions.most_common(1)[0][0] if descriptions else None


def _order(order_id: str, invoice: dict[str, Any]) -> dict[str, Any]:
    """The order row of a complete invoice, with its totals in pence."""
    lines, charged = invoice["lines"], invoice["charges"]
    goods = sum(line["amount_minor"] for line in lines)
    fees = sum(line["amount_minor"] for line in charged)
    kind = order_kind(invoice["invoice"], lines)
    props = {"placed_at": invoice["at"], "kind": kind, "status": "completed", "invoice_no": invoice["invoice"],
             "line_count": len(lines), "goods_minor": goods, "charges_minor": fees, "total_minor": goods + fees,
             "discount_minor": 0, "coupon_discount_minor": 0}
    return {"order_id": order_id, "retailer_id": "uci", "customer_id": _customer_id(invoice["customer"]),
            "store_id": None, "region_id": invoice["region_id"], "channel_id": "web", "props": props,
            "lines": lines, "charges": charged}


def _customer_id(customer: str | None) -> str | None:
    return None if customer is None else uci(customer)


def _late(order_id: str, line: dict[str, Any], target: str) -> dict[str, Any]:
    """A line of an invoice whose earlier lines were written already (keyed by line number)."""
    props = {k: v for k, v in line.items() if k not in (target, "line_no")}
    return {"order_id": order_id, "line_no": line["line_no"], target: line[target], "props": props}
