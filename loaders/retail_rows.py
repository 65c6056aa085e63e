"""UCI Online Retail rows mapped to graph rows (pure functions): invoices, lines, non-product codes.

Every decision here is described in the README's Loaders section.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from loaders.rows import Rejected

RETAILER = {"retailer_id": "uci", "name": "UCI Online Retail (UK online gift retailer)", "currency": "GBP",
            "timezone": "Europe/London"}
LONDON = ZoneInfo("Europe/London")
COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country")

# Stock codes that are not goods, and what each line with one of them means.
CHARGE_CODES: dict[str, tuple[str, str]] = {
    "POST": ("postage", "Postage"),
    "DOT": ("postage", "Dotcom postage"),
    "C2": ("postage", "Carriage"),
    "BANK CHARGES": ("fee", "Bank charges"),
    "AMAZONFEE": ("fee", "Amazon fee"),
    "CRUK": ("fee", "CRUK commission"),
    "M": ("manual", "Manual adjustment"),
    "D": ("discount", "Discount"),
    "S": ("sample", "Samples"),
    "B": ("bad_debt", "Adjust bad debt"),
}
GIFT_VOUCHER = re.compile(r"^GIFT_\d+_(\d+)$")


def uci(value: str) -> str:
    """The retailer-namespaced id of a source id."""
    return f"uci:{value}"


def charge_of(code: str) -> dict[str, Any] | None:
    """The Charge row of a non-product stock code (upper-cased), or None for goods."""
    if code in CHARGE_CODES:
        kind, name = CHARGE_CODES[code]
    elif match := GIFT_VOUCHER.match(code):
        kind, name = "gift_voucher", f"Gift voucher £{match.group(1)}"
    else:
        return None
    return {"charge_id": uci(code), "retailer_id": "uci", "code": code, "kind": kind, "name": name}


def stock_code(value: str) -> str:
    """Stock codes are case-insensitive in this data set (15056bl and 15056BL are one product)."""
    code = value.strip().upper()
    if not code:
        raise Rejected("StockCode", "required value is empty")
    return code


def invoice_no(value: str) -> str:
    invoice = value.strip().upper()
    if not invoice or not invoice.lstrip("CA").isdigit():
        raise Rejected("InvoiceNo", f"{value!r} is not an invoice number (digits, C or A prefix)")
    return invoice


def quantity_of(value: str) -> int:
    text = value.strip()
    if not text.lstrip("-").isdigit():
        raise Rejected("Quantity", f"{value!r} is not a whole number")
    return int(text)


def price_minor(value: str) -> int:
    """Unit price in pence; the four £0.001 prices round to 0."""
    try:
        price = float(value)
    except ValueError:
        raise Rejected("UnitPrice", f"{value!r} is not an amount") from None
    if price != price or abs(price) == float("inf"):
        raise Rejected("UnitPrice", f"{value!r} is not an amount")
    return round(price * 100)


def customer_no(value: str) -> str | None:
    """The CustomerID (some exports write 17850.0), or None for a guest checkout."""
    text = value.strip().removesuffix(".0")
    if not text:
        return None
    if not text.isdigit():
        raise Rejected("CustomerID", f"{value!r} is not a customer number")
    return text


class Clock:
    """InvoiceDate (UK local time, naive) to UTC, cached: the lines of an invoice share their time."""

    def __init__(self) -> None:
        self._cache: dict[str, datetime] = {}

    def utc(self, value: str) -> datetime:
        found = self._cache.get(value)
        if found is None:
            try:
                local = datetime.fromisoformat(value.strip())
            except ValueError:
                raise Rejected("InvoiceDate", f"{value!r} is not a time (YYYY-MM-DD HH:MM)") from None
            zone = LONDON if local.tzinfo is None else local.tzinfo
            found = local.replace(tzinfo=zone).astimezone(UTC)
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[value] = found
        return found


def region_of(country: str) -> dict[str, Any]:
    """A Country as published (including 'Unspecified' and 'European Community') is a Region of uci."""
    slug = re.sub(r"[^a-z0-9]+", "-", country.lower()).strip("-")
    return {"region_id": uci(f"country:{slug}"), "name": country}


def customer_of(customer_id: str, region_id: str) -> dict[str, Any]:
    """A web customer; its region is the country of its first invoice."""
    return {"customer_id": uci(customer_id), "retailer_id": "uci", "home_store_id": None, "region_id": region_id,
            "props": {"anonymous": False}}


def web_account_of(customer_id: str) -> dict[str, Any]:
    """CustomerID is the customer's account number in the webshop."""
    return {"customer_id": uci(customer_id), "kind": "web_account", "value": customer_id, "channel_id": "web",
            "since": None}


def line_kind(invoice: str, quantity: int, unit_price_minor: int) -> str:
    """sale, free (no charge), return (a cancellation line) or write_off (stock written off, not sold)."""
    if invoice.startswith("C"):
        return "return"
    if quantity < 0:
        return "write_off"
    return "free" if unit_price_minor == 0 else "sale"


def order_kind(invoice: str, lines: list[dict[str, Any]]) -> str:
    """return for C invoices; adjustment for A (bad debt) invoices and stock write-offs; else purchase."""
    if invoice.startswith("C"):
        return "return"
    if invoice.startswith("A") or (lines and all(line["kind"] == "write_off" for line in lines)):
        return "adjustment"
    return "purchase"
