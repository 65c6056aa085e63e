"""Purchase histories for customer figures, and the figures written back.

Figures live on the Customer node (so segments and audiences filter on them without a join):
  rfm_recency_days, rfm_frequency, rfm_monetary_minor, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier,
  lifecycle_stage, lifecycle_stage_since (date), previous_lifecycle_stage, rhythm_days,
  last_purchase_on (date), expected_purchases, expected_spend_minor, churn_probability,
  prediction_horizon_days, figures_as_of (date)
  (Customer)-[:REPLENISHES {interval_days, purchases, last_bought_on, due_on}]->(Product)
What a full run learned about a retailer (quintile boundaries, tier cut, rhythm, model parameters,
tier shares) is one RetailerFigures(retailer_id) node, read back to score a single customer.
Days travel as days since 1970-01-01 in the retailer's time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from graph.driver import AsyncGraph, Graph, merged
from graph.moments import utc


RETAILERS_WITH_CUSTOMERS = """
MATCH (c:Customer) WHERE c.retailer_id IS NOT NULL
WITH DISTINCT c.retailer_id AS retailer_id
OPTIONAL MATCH (r:Retailer {retailer_id: retailer_id})
RETURN retailer_id, coalesce(r.timezone, 'UTC') AS timezone ORDER BY retailer_id
"""

LAST_ORDER_AT = """
MATCH (o:Order {retailer_id: $retailer_id}) RETURN max(o.placed_at) AS at
"""

COUNT_CUSTOMERS = """
MATCH (c:Customer {retailer_id: $retailer_id}) WHERE NOT (c)-[:MERGED_INTO]->() RETURN count(c) AS n
"""

# Per order: [epoch seconds, is_return, amount, consumable product ids of a purchase]; the lines are read only
# when $consumables (the retailer flags consumable products), as they are most of the work. Python turns the
# seconds into the retailer's calendar day (cheaper than Cypher's time zone arithmetic per order).
_HISTORY = """
RETURN c.customer_id AS customer_id,
  [(c)-[:PLACED]->(o:Order) WHERE o.placed_at <= $as_of |
    [o.placed_at.epochSeconds,
     o.kind = 'return',
     coalesce(o.total_minor, 0),
     CASE WHEN $consumables AND o.kind = 'purchase'
          THEN [(o)-[:CONTAINS]->(p:Product) WHERE p.is_consumable = true | p.product_id] ELSE [] END]] AS orders
"""

HAS_CONSUMABLES = """
RETURN EXISTS { MATCH (p:Product {retailer_id: $retailer_id}) WHERE p.is_consumable = true } AS found
"""

HISTORIES_OF_RETAILER = """
MATCH (c:Customer {retailer_id: $retailer_id})
WHERE ($from IS NULL OR c.customer_id >= $from) AND ($to IS NULL OR c.customer_id < $to)
  AND NOT (c)-[:MERGED_INTO]->()
""" + _HISTORY

CUSTOMER_IDS_OF_RETAILER = """
MATCH (c:Customer {retailer_id: $retailer_id}) RETURN c.customer_id AS id ORDER BY id
"""

HISTORY_OF_CUSTOMER = """
MATCH (c:Customer {customer_id: $customer_id})
""" + _HISTORY

WRITE_FIGURES = """
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
WITH c, row, coalesce(c.lifecycle_stage, '') <> coalesce(row.stage, '') AS changed
SET c.previous_lifecycle_stage = CASE WHEN changed THEN c.lifecycle_stage ELSE c.previous_lifecycle_stage END,
    c.lifecycle_stage_since = CASE WHEN changed OR c.lifecycle_stage_since IS NULL
                                   THEN row.as_of ELSE c.lifecycle_stage_since END
SET c += row.figures, c.lifecycle_stage = row.stage, c.figures_as_of = row.as_of
WITH c, row, [item IN row.replenishments | item.product_id] AS kept
CALL (c, kept) { MATCH (c)-[old:REPLENISHES]->(p:Product) WHERE NOT p.product_id IN kept DELETE old }
WITH c, row
UNWIND row.replenishments AS item
MATCH (p:Product {product_id: item.product_id})
MERGE (c)-[r:REPLENISHES]->(p)
SET r.interval_days = item.interval_days, r.purchases = item.purchases, r.last_bought_on = item.last_bought_on,
    r.due_on = item.due_on
"""

WRITE_RETAILER_FIGURES = """
MERGE (f:RetailerFigures {retailer_id: $retailer_id})
SET f += $figures
"""

RETAILER_FIGURES = """
MATCH (c:Customer {customer_id: $customer_id})
MATCH (f:RetailerFigures {retailer_id: c.retailer_id})
OPTIONAL MATCH (r:Retailer {retailer_id: c.retailer_id})
RETURN properties(f) AS figures, coalesce(r.timezone, 'UTC') AS timezone
"""

FIGURES_OF_CUSTOMERS = """
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN id, c {.rfm_recency_days, .rfm_frequency, .rfm_monetary_minor, .rfm_r, .rfm_f, .rfm_m, .rfm_segment,
              .value_tier, .lifecycle_stage, .lifecycle_stage_since, .previous_lifecycle_stage, .rhythm_days,
              .last_purchase_on, .expected_purchases, .expected_spend_minor, .churn_probability, .figures_as_of,
              replenishments: [(c)-[r:REPLENISHES]->(p:Product) | r {product_id: p.product_id,
                  product_name: p.name, .interval_days, .purchases, .last_bought_on, .due_on}]} AS figures
"""

RETAILER_FIGURES_BY_ID = """
MATCH (f:RetailerFigures {retailer_id: $retailer_id}) RETURN properties(f) AS figures
"""


def retailers_with_customers(graph: Graph) -> list[tuple[str, str]]:
    """(retailer_id, time zone) of every retailer that has customers."""
    return [(r["retailer_id"], r["timezone"]) for r in graph.read(RETAILERS_WITH_CUSTOMERS)]


def last_order_at(graph: Graph, retailer_id: str) -> datetime | None:
    """Time of the retailer's latest order (the end of its data)."""
    at = graph.read(LAST_ORDER_AT, retailer_id=retailer_id)[0]["at"]
    return at.to_native() if at is not None else None


def count_customers(graph: Graph, retailer_id: str) -> int:
    return int(graph.read(COUNT_CUSTOMERS, retailer_id=retailer_id)[0]["n"])


def stream_histories(graph: Graph, retailer_id: str, timezone: str, as_of: datetime, min_purchases: int,
                     workers: int = 1) -> Iterator[tuple[str, list[list[Any]], list[list[Any]]]]:
    """(customer_id, orders [[epoch day, is_return, amount_minor]], consumables [[product_id, [epoch days]]]).

    With workers > 1, that many queries read ranges of customer ids at once (in threads); any order.
    """
    consumables = bool(graph.read(HAS_CONSUMABLES, retailer_id=retailer_id)[0]["found"])
    days = LocalDays(timezone)
    ranges = _id_ranges(graph, retailer_id, workers) if workers > 1 else [(None, None)]

    def read(bounds: tuple[str | None, str | None]) -> Iterator[tuple[str, list[list[Any]], list[list[Any]]]]:
        for r in graph.stream(HISTORIES_OF_RETAILER, retailer_id=retailer_id, as_of=utc(as_of),
                              consumables=consumables, **{"from": bounds[0], "to": bounds[1]}):
            yield (r["customer_id"], *_split(r["orders"], days, min_purchases))
    if len(ranges) == 1:
        yield from read(ranges[0])
        return
    yield from merged([partial(read, b) for b in ranges])


def _id_ranges(graph: Graph, retailer_id: str, parts: int) -> list[tuple[str | None, str | None]]:
    """`parts` ranges [from, to) of customer ids holding about as many customers each."""
    ids = [r["id"] for r in graph.read(CUSTOMER_IDS_OF_RETAILER, retailer_id=retailer_id)]
    cuts = sorted({ids[len(ids) * k // parts] for k in range(1, parts)}) if len(ids) >= parts else []
    bounds: list[str | None] = [None, *cuts, None]
    return list(zip(bounds, bounds[1:]))


class LocalDays:
    """Epoch seconds to days since 1970-01-01 in a time zone (offsets cached per hour)."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.offsets: dict[int, int] = {}

    def __call__(self, seconds: int) -> int:
        hour = seconds // 3600
        offset = self.offsets.get(hour)
        if offset is None:
            delta = datetime.fromtimestamp(hour * 3600, self.zone).utcoffset()
            offset = self.offsets[hour] = int(delta.total_seconds()) if delta else 0
        return (seconds + offset) // 86400


def history_of_customer(graph: Graph, customer_id: str, timezone: str, as_of: datetime,
                        min_purchases: int) -> tuple[list[list[Any]], list[list[Any]]] | None:
    """One customer's orders and consumables (as in stream_histories); None if there is no such customer."""
    records = graph.read(HISTORY_OF_CUSTOMER, customer_id=customer_id, as_of=utc(as_of), consumables=True)
    return _split(records[0]["orders"], LocalDays(timezone), min_purchases) if records else None


def _split(rows: list[list[Any]], days: LocalDays,
           min_purchases: int) -> tuple[list[list[Any]], list[list[Any]]]:
    """Orders as [local day, is_return, amount], and consumables bought on at least `min_purchases` distinct days
    with those days (ascending)."""
    orders = []
    days_of: dict[str, set[int]] = {}
    for seconds, is_return, amount, products in rows:
        day = days(seconds)
        orders.append([day, is_return, amount])
        for product_id in products:
            days_of.setdefault(product_id, set()).add(day)
    return orders, [[p, sorted(d)] for p, d in days_of.items() if len(d) >= min_purchases]


def write_figures(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Rows {customer_id, stage, as_of, figures: {...}, replenishments: [...]}; returns rows written."""
    graph.write(WRITE_FIGURES, rows=rows)
    return len(rows)


def write_retailer_figures(graph: Graph, retailer_id: str, figures: dict[str, Any]) -> None:
    graph.write(WRITE_RETAILER_FIGURES, retailer_id=retailer_id, figures=figures)


def retailer_figures_of_customer(graph: Graph, customer_id: str) -> tuple[dict[str, Any], str] | None:
    """(stored RetailerFigures properties, time zone) of the customer's retailer; None before a full run."""
    records = graph.read(RETAILER_FIGURES, customer_id=customer_id)
    return (dict(records[0]["figures"]), records[0]["timezone"]) if records else None


def figures_of_customers(graph: Graph, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Stored figures and replenishments by customer id (absent ids are left out); dates as Python dates."""
    return {r["id"]: _native(r["figures"]) for r in graph.read(FIGURES_OF_CUSTOMERS, ids=ids)}


def _native(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value.to_native() if hasattr(value, "to_native") else value


def retailer_figures(graph: Graph, retailer_id: str) -> dict[str, Any] | None:
    records = graph.read(RETAILER_FIGURES_BY_ID, retailer_id=retailer_id)
    return dict(records[0]["figures"]) if records else None


REPLENISHMENTS_OF_CUSTOMERS = """
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})-[r:REPLENISHES]->(p:Product)
RETURN id, p.product_id AS product_id, p.name AS product_name, r.interval_days AS interval_days,
       r.purchases AS purchases, r.last_bought_on AS last_bought_on, r.due_on AS due_on
ORDER BY id, due_on, product_id
"""


async def replenishments_of_customers(graph: AsyncGraph, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each customer's consumables with their due dates, soonest first (API; customers without any are left out)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for r in await graph.read(REPLENISHMENTS_OF_CUSTOMERS, ids=ids):
        found.setdefault(r["id"], []).append(_native({k: r[k] for k in r.keys() if k != "id"}))
    return found
