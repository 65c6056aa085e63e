"""Canonical rows of retailers, regions, stores, store assortments and promotions."""

from __future__ import annotations

from typing import Any

from loaders.context import Context, zone_named
from loaders.rows import Rejected, integer, need, text


def parse_retailer(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """retailers.csv: retailer_id, name, currency, timezone."""
    retailer_id = need(row, "retailer_id")
    timezone = text(row, "timezone")
    if timezone:
        zone_named(timezone)
    currency = (text(row, "currency") or "USD").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise Rejected("currency", f"{currency!r} is not an ISO 4217 currency code")
    ctx.add_retailer(retailer_id, timezone)
    return {"retailer_id": retailer_id, "name": text(row, "name") or retailer_id, "currency": currency,
            "timezone": timezone or "UTC"}


def parse_region(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """regions.csv: region_id, name."""
    return {"region_id": need(row, "region_id"), "name": text(row, "name")}


def parse_store(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """stores.csv: store_id, retailer_id, name, format, region_id."""
    return {"store_id": need(row, "store_id"), "retailer_id": ctx.retailer(row),
            "name": text(row, "name"), "format": text(row, "format"), "region_id": text(row, "region_id")}


def parse_store_product(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """store_products.csv: store_id, product_id, stock, source."""
    return {"store_id": need(row, "store_id"), "product_id": need(row, "product_id"),
            "stock": integer(row, "stock"), "source": text(row, "source") or "catalogue"}


def parse_promotion(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """promotions.csv: store_id, product_id, week, display, mailer."""
    return {"store_id": need(row, "store_id"), "product_id": need(row, "product_id"),
            "week": integer(row, "week", required=True), "display": text(row, "display"),
            "mailer": text(row, "mailer")}

