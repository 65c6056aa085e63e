"""Orders (purchases and returns) with their lines, paged newest first by an opaque cursor."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

import strawberry

from api.errors import BadInput
from api.types.common import Channel, Money, channel, money
from api.types.product import Product, load_product
from api.types.store import Store, load_store

ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")


@strawberry.type(description="One line of an order.")
class OrderLine:
    product_id: strawberry.Private[str]
    line_no: int | None = strawberry.field(description="Position within the order, from 1.")
    quantity: float | None = strawberry.field(description="Units (or weight for loose goods).")
    unit_price: Money | None = strawberry.field(description="Price per unit before discounts.")
    amount: Money | None = strawberry.field(description="What the customer paid for the line.")
    discount: Money | None = strawberry.field(description="Retailer discount on the line (positive).")
    coupon_discount: Money | None = strawberry.field(description="Coupon discount on the line (positive).")

    @strawberry.field(description="The product; null if it left the catalogue.")
    def product(self, info: strawberry.Info) -> Product | None:
        return load_product(info, self.product_id)  # type: ignore[return-value]


@strawberry.type(description="A purchase or a return, in a store or online.")
class Order:
    store_id: strawberry.Private[str | None]
    id: strawberry.ID = strawberry.field(description="Order id.")
    placed_at: datetime = strawberry.field(description="When the order was placed (UTC).")
    kind: str = strawberry.field(description="purchase or return.")
    status: str | None = strawberry.field(description="Order status as the source system reports it.")
    channel: Channel | None = strawberry.field(description="Where it was placed.")
    total: Money = strawberry.field(description="Sum of the lines' amounts.")
    lines: list[OrderLine] = strawberry.field(description="The order's lines by line number.")

    @strawberry.field(description="Store of the order; null for online orders without a store.")
    def store(self, info: strawberry.Info) -> Store | None:
        return load_store(info, self.store_id)  # type: ignore[return-value]

    @classmethod
    def from_record(cls, r: dict[str, Any], currency: str | None) -> "Order":
        lines = sorted(r.get("lines") or [], key=lambda line: line.get("line_no") or 0)
        return cls(store_id=r.get("store_id"), id=strawberry.ID(r["order_id"]), placed_at=r["placed_at"],
                   kind=r.get("kind") or "purchase", status=r.get("status"), channel=channel(r.get("channel_id")),
                   total=money(sum(line.get("amount_minor") or 0 for line in lines), currency),  # type: ignore[arg-type]
                   lines=[OrderLine(product_id=line["product_id"], line_no=line.get("line_no"),
                                    quantity=line.get("quantity"),
                                    unit_price=money(line.get("unit_price_minor"), currency),
                                    amount=money(line.get("amount_minor"), currency),
                                    discount=money(line.get("discount_minor"), currency),
                                    coupon_discount=money(line.get("coupon_discount_minor"), currency))
                          for line in lines])


@strawberry.type(description="Paging state of a list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow `endCursor`.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null if empty.")


@strawberry.type(description="A page of orders, newest first.")
class OrderConnection:
    total_count: int = strawberry.field(description="Orders matching the filter, over all pages.")
    nodes: list[Order] = strawberry.field(description="This page's orders.")
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")


def order_cursor(placed_at: Any, order_id: str) -> str:
    return base64.urlsafe_b64encode(f"{placed_at.isoformat()}|{order_id}".encode()).decode()


def parse_order_cursor(cursor: str) -> tuple[str, str]:
    """(placed_at ISO text, order_id) from a cursor; BadInput naming `after` if it is not ours."""
    try:
        placed_at, order_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        datetime.fromisoformat(placed_at)   # a real time, not only its shape (month 13 reached Neo4j)
    except ValueError:
        placed_at, order_id = "", ""
    if not ISO_DATETIME.fullmatch(placed_at) or not order_id:
        raise BadInput("after is not a cursor returned by this API.", field="after")
    return placed_at, order_id


def order_connection(profile: dict[str, Any], first: int) -> OrderConnection:
    currency = profile.get("currency")
    rows = profile.get("orders") or []
    nodes = [Order.from_record(r, currency) for r in rows[:first]]
    end = order_cursor(rows[len(nodes) - 1]["placed_at"], rows[len(nodes) - 1]["order_id"]) if nodes else None
    return OrderConnection(total_count=profile.get("order_total") or 0, nodes=nodes,
                           page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=end))
