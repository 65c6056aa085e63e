"""Canonical rows of customers, their identities and their consents."""

from __future__ import annotations

from typing import Any

from graph.identifiers import identifier_key
from loaders.context import Context
from loaders.rows import Rejected, boolean, choice, day, integer, moment, need, tags, text

IDENTITY_KINDS = frozenset({"loyalty_card", "email", "phone", "web_account", "member_no", "external"})
PURPOSES = frozenset({"marketing", "personalisation", "profiling"})
MEDIUMS = frozenset({"email", "sms", "push", "post", "any"})
CHANNELS = frozenset({"pos", "web", "kiosk", "app", "service_desk", "third_party"})
TEXT_FIELDS = ("first_name", "last_name", "address", "gender", "age_band", "income_band",
               "home_ownership", "marital_status", "household_size", "household_comp", "kids_count",
               "loyalty_tier")


def parse_customer(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """customers.csv: see the README table; demographics are kept as the source's bands (text)."""
    retailer_id = ctx.retailer(row)
    props: dict[str, Any] = {name: text(row, name) for name in TEXT_FIELDS}
    props |= {"email": _email(text(row, "email"), "email"), "phone": _phone(text(row, "phone"), "phone"),
              "birthday": day(row, "birthday", past=True),
              "loyalty_points": integer(row, "loyalty_points"), "tags": tags(row, "tags"),
              "preferred_channel": choice(row, "preferred_channel", CHANNELS),
              "created_at": moment(row, "created_at", ctx.zone(retailer_id)), "anonymous": False}
    return {"customer_id": need(row, "customer_id"), "retailer_id": retailer_id,
            "home_store_id": text(row, "home_store_id"), "region_id": text(row, "region_id"), "props": props}


def parse_identity(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """identities.csv: customer_id, kind, value, channel_id, since."""
    kind = choice(row, "kind", IDENTITY_KINDS, required=True)
    value = need(row, "value")
    value = _email(value, "value") if kind == "email" else _phone(value, "value") if kind == "phone" else value
    return {"customer_id": need(row, "customer_id"), "kind": kind, "value": value,
            "channel_id": choice(row, "channel_id", CHANNELS), "since": moment(row, "since", ctx.zone())}


def parse_consent(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """consents.csv: customer_id, purpose, medium, granted, updated_at, source."""
    return {"customer_id": need(row, "customer_id"), "purpose": choice(row, "purpose", PURPOSES, required=True),
            "medium": choice(row, "medium", MEDIUMS, required=True),
            "granted": boolean(row, "granted", required=True),
            "updated_at": moment(row, "updated_at", ctx.zone()), "source": text(row, "source")}


def _email(value: str | None, field: str) -> str | None:
    """E-mail addresses are compared lower-case; one without `@` is rejected."""
    if value is None:
        return None
    if "@" not in value:
        raise Rejected(field, f"{value!r} is not an e-mail address")
    return identifier_key("email", value)


def _phone(value: str | None, field: str) -> str | None:
    """Phone numbers are kept as their digits (+ and country code when given); one without digits is rejected."""
    if value is None:
        return None
    key = identifier_key("phone", value)
    if not key:
        raise Rejected(field, f"{value!r} is not a phone number: no digits")
    return key
