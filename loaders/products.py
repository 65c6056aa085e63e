"""Canonical rows of categories, brands and products."""

from __future__ import annotations

from typing import Any

from loaders.context import Context
from loaders.rows import Rejected, boolean, choice, minor_units, need, text

LEVELS = frozenset({"department", "category", "type"})


def parse_category(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """categories.csv: category_id, name, level, parent_id."""
    return {"category_id": need(row, "category_id"), "name": need(row, "name"),
            "level": choice(row, "level", LEVELS, required=True), "parent_id": text(row, "parent_id")}


def parse_brand(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """brands.csv: brand_id, name."""
    return {"brand_id": need(row, "brand_id"), "name": text(row, "name")}


def parse_product(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """products.csv: product_id, retailer_id, name, category_id, brand_id, price, is_consumable, package_size."""
    props = {"name": text(row, "name"), "price_minor": _price(row),
             "is_consumable": boolean(row, "is_consumable"), "package_size": text(row, "package_size"),
             "in_catalogue": True}
    return {"product_id": need(row, "product_id"), "retailer_id": ctx.retailer(row),
            "category_id": text(row, "category_id"), "brand_id": text(row, "brand_id"), "props": props}


def _price(row: dict[str, str]) -> int | None:
    """The shelf price in minor units; a negative one is rejected (a refund is a return line, not a price)."""
    price = minor_units(row, "price")
    if price is not None and price < 0:
        raise Rejected("price", f"{row['price'].strip()!r} is negative")
    return price
