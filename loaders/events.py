"""Canonical rows of behavioural events."""

from __future__ import annotations

from typing import Any

from loaders.context import Context
from loaders.customers import CHANNELS
from loaders.rows import choice, moment, need, text

EVENT_KINDS = frozenset({"view", "cart", "wishlist", "search", "visit", "return", "purchase"})


def parse_event(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """events.csv: event_id, customer_id, kind, product_id, channel_id, store_id, occurred_at, query."""
    props = {"kind": choice(row, "kind", EVENT_KINDS, required=True),
             "occurred_at": moment(row, "occurred_at", ctx.zone(), required=True), "query": text(row, "query")}
    return {"event_id": need(row, "event_id"), "customer_id": text(row, "customer_id"),
            "product_id": text(row, "product_id"), "channel_id": choice(row, "channel_id", CHANNELS, required=True),
            "store_id": text(row, "store_id"), "props": props}
