"""Scalars-like helpers and enums shared by every type: channels, money, identity kinds."""

from __future__ import annotations

import functools
from enum import Enum
from typing import Any

import strawberry

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "CLP", "VND"})


@strawberry.enum(description="Where an interaction happened.")
class Channel(Enum):
    POS = "pos"
    WEB = "web"
    KIOSK = "kiosk"
    APP = "app"
    SERVICE_DESK = "service_desk"
    THIRD_PARTY = "third_party"


@strawberry.enum(description="Kind of identifier a customer is known by.")
class IdentityKind(Enum):
    LOYALTY_CARD = "loyalty_card"
    EMAIL = "email"
    PHONE = "phone"
    WEB_ACCOUNT = "web_account"
    MEMBER_NO = "member_no"
    EXTERNAL = "external"


@strawberry.enum(description="What a customer allowed or refused.")
class ConsentPurpose(Enum):
    MARKETING = "marketing"
    PERSONALISATION = "personalisation"
    PROFILING = "profiling"


@strawberry.enum(description="How the retailer may contact the customer for a purpose (ANY: every medium).")
class ConsentMedium(Enum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    POST = "post"
    ANY = "any"


@strawberry.enum(description="Kind of a recorded interaction.")
class EventKind(Enum):
    VIEW = "view"
    CART = "cart"
    WISHLIST = "wishlist"
    SEARCH = "search"
    VISIT = "visit"
    RETURN = "return"
    PURCHASE = "purchase"


def channel(value: str | None) -> Channel | None:
    """The Channel for a graph channel id; None when absent or not one of ours."""
    try:
        return Channel(value) if value else None
    except ValueError:
        return None


def enum_value(value: Any) -> Any:
    """The plain value of an enum member, or of an enum name as written in a query."""
    if isinstance(value, Enum):
        return value.value
    return value.lower() if isinstance(value, str) else value


@strawberry.type(description="An amount of money in the retailer's currency.")
class Money:
    amount_minor: int = strawberry.field(description="Integer minor units (cents, pence).")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")
    amount: str = strawberry.field(description="Decimal string in major units, e.g. \"12.50\".")


@functools.lru_cache(maxsize=65_536)
def money(amount_minor: int | None, currency: str | None) -> Money | None:
    """Money from minor units; None when the amount is unknown (USD when the currency is).

    Shared: equal amounts get the same (never changed) object, as a customer's orders repeat a few prices."""
    if amount_minor is None:
        return None
    code = currency or "USD"
    digits = 0 if code in ZERO_DECIMAL_CURRENCIES else 2
    minor = int(amount_minor)
    return Money(amount_minor=minor, currency=code, amount=f"{minor / 10 ** digits:.{digits}f}")
