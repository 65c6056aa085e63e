"""Canonical rows of orders and order lines."""

from __future__ import annotations

from typing import Any

from loaders.context import Context
from loaders.customers import CHANNELS
from loaders.rows import Rejected, choice, integer, minor_units, moment, need, number, text

ORDER_KINDS = frozenset({"purchase", "return"})


def parse_order(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """orders.csv: order_id, retailer_id, customer_id (empty: guest), store_id, channel_id, placed_at, kind, status."""
    retailer_id = ctx.retailer(row)
    props = {"placed_at": moment(row, "placed_at", ctx.zone(retailer_id), required=True),
             "kind": choice(row, "kind", ORDER_KINDS) or "purchase", "status": text(row, "status") or "completed"}
    return {"order_id": need(row, "order_id"), "retailer_id": retailer_id, "customer_id": text(row, "customer_id"),
            "store_id": text(row, "store_id"), "region_id": None,
            "channel_id": choice(row, "channel_id", CHANNELS, required=True), "props": props}


def parse_order_line(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """order_lines.csv: order_id, line_no, product_id, quantity, unit_price, amount, discount, coupon_discount."""
    line_no = integer(row, "line_no", required=True)
    if line_no is not None and line_no < 1:
        raise Rejected("line_no", f"{line_no} is not a line number (1, 2, ...)")
    quantity = number(row, "quantity", required=True)
    props = {"quantity": int(quantity) if quantity is not None and quantity.is_integer() else quantity,
             "unit_price_minor": minor_units(row, "unit_price"), "amount_minor": minor_units(row, "amount", required=True),
             "discount_minor": minor_units(row, "discount") or 0,
             "coupon_discount_minor": minor_units(row, "coupon_discount") or 0,
             "kind": line_kind(quantity or 0, minor_units(row, "amount") or 0)}
    return {"order_id": need(row, "order_id"), "line_no": line_no, "product_id": need(row, "product_id"),
            "props": props}


def line_kind(quantity: float, amount_minor: int) -> str:
    """sale, free (given away at no charge), return (taken back), or void (neither quantity nor money)."""
    if quantity < 0 or amount_minor < 0:
        return "return"
    if quantity == 0 and amount_minor == 0:
        return "void"
    if amount_minor == 0:
        return "free"
    return "sale"
