"""Canonical rows of campaigns, their recipients, coupons and redemptions."""

from __future__ import annotations

from typing import Any

from loaders.context import Context
from loaders.rows import Rejected, day, need, text


def parse_campaign(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """campaigns.csv: campaign_id, retailer_id, name, type, start_date, end_date."""
    start, end = day(row, "start_date"), day(row, "end_date")
    if start and end and end < start:
        raise Rejected("end_date", f"{end} is before start_date {start}")
    return {"campaign_id": need(row, "campaign_id"), "retailer_id": ctx.retailer(row),
            "name": text(row, "name"), "type": text(row, "type"), "start_date": start, "end_date": end}


def parse_recipient(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """campaign_recipients.csv: campaign_id, customer_id."""
    return {"campaign_id": need(row, "campaign_id"), "customer_id": need(row, "customer_id")}


def parse_coupon(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """coupons.csv: coupon_id, campaign_id, product_id (one row per product a coupon applies to)."""
    return {"coupon_id": need(row, "coupon_id"), "campaign_id": text(row, "campaign_id"),
            "product_id": text(row, "product_id")}


def parse_redemption(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """coupon_redemptions.csv: customer_id, coupon_id, campaign_id, redeemed_on."""
    return {"customer_id": need(row, "customer_id"), "coupon_id": need(row, "coupon_id"),
            "campaign_id": text(row, "campaign_id"), "redeemed_on": day(row, "redeemed_on", required=True)}
