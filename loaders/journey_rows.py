"""Row mappings of The Complete Journey's smaller files into graph rows (pure functions)."""

from __future__ import annotations

from typing import Any

from loaders.context import Context
from loaders.rows import Rejected, day, integer, need, text

RETAILER = {"retailer_id": "cj", "name": "The Complete Journey grocer (84.51°)", "currency": "USD",
            "timezone": "America/New_York"}
PRODUCT_COLUMNS = ("product_id", "manufacturer_id", "department", "brand", "product_category", "product_type",
                   "package_size")


def cj(value: str) -> str:
    """The retailer-namespaced id of a source id."""
    return f"cj:{value}"


def customer_of(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """A household with demographics (bands kept as published: age 45-54, income 50-74K, ...)."""
    props = {"age_band": text(row, "age"), "income_band": text(row, "income"),
             "home_ownership": text(row, "home_ownership"), "marital_status": text(row, "marital_status"),
             "household_size": text(row, "household_size"), "household_comp": text(row, "household_comp"),
             "kids_count": text(row, "kids_count"), "anonymous": False}
    return household(_id(row, "household_id"), props)


def household(household_id: str, props: dict[str, Any] | None = None) -> dict[str, Any]:
    """A customer row for a household; without props, whatever it has is kept."""
    return {"customer_id": cj(household_id), "retailer_id": "cj", "home_store_id": None, "region_id": None,
            "props": props or {"anonymous": False}}


def member_no_of(customer_id: str) -> dict[str, Any]:
    """Every household id is the member number on the household's loyalty card."""
    return {"customer_id": customer_id, "kind": "member_no", "value": customer_id.removeprefix("cj:"),
            "channel_id": "pos", "since": None}


def store(store_id: str) -> dict[str, Any]:
    """A store known only by its id (the data set has no store attributes)."""
    return {"store_id": cj(store_id), "retailer_id": "cj", "name": f"Store {store_id}", "format": None,
            "region_id": None}


def categories_of(row: dict[str, str]) -> list[dict[str, Any]]:
    """department > category > type, each level keyed by its path so equal names under other parents differ."""
    path: list[str] = []
    result: list[dict[str, Any]] = []
    parent = None
    for level, column in (("department", "department"), ("category", "product_category"),
                          ("type", "product_type")):
        name = text(row, column)
        if name is None:
            break
        path.append(name)
        category_id = cj(f"{level[0]}:" + "/".join(path))
        result.append({"category_id": category_id, "name": name, "level": level, "parent_id": parent})
        parent = category_id
    return result


def product_of(row: dict[str, str], category_id: str | None) -> dict[str, Any]:
    """A catalogue product; its name is the most specific category name (the source has no names)."""
    brand = text(row, "brand")
    name = text(row, "product_type") or text(row, "product_category") or text(row, "department")
    props = {"name": name, "package_size": text(row, "package_size"), "manufacturer_id": text(row, "manufacturer_id"),
             "in_catalogue": True}
    return {"product_id": cj(_id(row, "product_id")), "retailer_id": "cj", "category_id": category_id,
            "brand_id": cj(brand.lower()) if brand else None, "props": props}


def unlisted_product(product_id: str) -> dict[str, Any]:
    """A product sold or couponed but absent from products.csv."""
    return {"product_id": product_id, "retailer_id": "cj", "category_id": None, "brand_id": None,
            "props": {"in_catalogue": False}}


def campaign_of(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    campaign_id = _id(row, "campaign_id")
    kind = (text(row, "campaign_type") or "").removeprefix("Type ").strip() or None
    return {"campaign_id": cj(campaign_id), "retailer_id": "cj", "name": f"Campaign {campaign_id}",
            "type": kind, "start_date": day(row, "start_date"), "end_date": day(row, "end_date")}


def recipient_of(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    return {"campaign_id": cj(_id(row, "campaign_id")), "customer_id": cj(_id(row, "household_id"))}


def coupon_of(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    return {"coupon_id": cj(_id(row, "coupon_upc")), "campaign_id": cj(_id(row, "campaign_id")),
            "product_id": cj(_id(row, "product_id"))}


def redemption_of(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    return {"customer_id": cj(_id(row, "household_id")), "coupon_id": cj(_id(row, "coupon_upc")),
            "campaign_id": cj(_id(row, "campaign_id")), "redeemed_on": day(row, "redemption_date", required=True)}


def promotion_of(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """Display and mailer placement codes as published; 0 (not displayed / not in the mailer) becomes null."""
    display, mailer = text(row, "display_location"), text(row, "mailer_location")
    return {"store_id": cj(_id(row, "store_id")), "product_id": cj(_id(row, "product_id")),
            "week": integer(row, "week", required=True), "display": None if display == "0" else display,
            "mailer": None if mailer == "0" else mailer}


def _id(row: dict[str, str], field: str) -> str:
    value = need(row, field)
    if not value.isalnum():
        raise Rejected(field, f"{value!r} is not an id")
    return value
