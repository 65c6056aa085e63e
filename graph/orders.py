"""Orders (baskets) and their lines, kept as (Order)-[:CONTAINS]->(Product) (write side)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.merges import LIVE_OWNER
from graph.moments import epoch_moment, moment_from
from graph.writes import write_rows

# row: {order_id, retailer_id, customer_id|None, store_id|None, region_id|None, channel_id, props: {...}}
UPSERT_ORDERS = """
UNWIND $rows AS row
MATCH (ch:Channel {channel_id: row.channel_id})
OPTIONAL MATCH (c:Customer {customer_id: row.customer_id})
OPTIONAL MATCH (s:Store {store_id: row.store_id})
OPTIONAL MATCH (g:Region {region_id: row.region_id})
WITH row, ch, c, s, g
WHERE (row.customer_id IS NULL OR c IS NOT NULL) AND (row.store_id IS NULL OR s IS NOT NULL)
  AND (row.region_id IS NULL OR g IS NOT NULL)
""" + LIVE_OWNER + """
MERGE (o:Order {order_id: row.order_id})
SET o += row.props, o.placed_at = """ + moment_from("row.placed_at") + """, o.retailer_id = row.retailer_id,
    o.anonymous = row.customer_id IS NULL
MERGE (o)-[:VIA]->(ch)
WITH o, owner, merges, s, g
CALL (o, owner, merges) {
  WITH o, owner, merges WHERE owner IS NOT NULL MERGE (owner)-[p:PLACED]->(o) ON CREATE SET p.merges = merges
}
CALL (o, s) { WITH o, s WHERE s IS NOT NULL MERGE (o)-[:AT_STORE]->(s) }
CALL (o, g) { WITH o, g WHERE g IS NOT NULL MERGE (o)-[:IN_REGION]->(g) }
RETURN count(*) AS written
"""

# row: {order_id, line_no, product_id, props: {quantity, unit_price_minor, amount_minor, discount_minor, ...}}
UPSERT_ORDER_LINES = """
UNWIND $rows AS row
MATCH (o:Order {order_id: row.order_id})
MATCH (p:Product {product_id: row.product_id})
MERGE (o)-[c:CONTAINS {line_no: row.line_no}]->(p)
SET c += row.props
WITH o, count(*) AS lines
CALL (o) {
  MATCH (o)-[c:CONTAINS]->()
  WITH o, count(c) AS n, sum(c.amount_minor) AS amount, sum(coalesce(c.discount_minor, 0)) AS discount,
       sum(coalesce(c.coupon_discount_minor, 0)) AS coupon
  SET o.line_count = n, o.goods_minor = amount, o.discount_minor = discount, o.coupon_discount_minor = coupon,
      o.total_minor = amount + coalesce(o.charges_minor, 0)
}
RETURN sum(lines) AS written
"""

# row: {order_id, retailer_id, customer_id|None, store_id|None, region_id|None, channel_id, props,
#       lines: [{product_id, line_no, quantity, unit_price_minor, amount_minor, discount_minor,
#                coupon_discount_minor, coupon_match_discount_minor, kind}],
#       charges (optional): [{charge_id, line_no, quantity, unit_price_minor, amount_minor, description}]};
#       missing keys are not stored.
CREATE_ORDERS_WITH_LINES = """
UNWIND $rows AS row
OPTIONAL MATCH (done:Order {order_id: row.order_id})
WITH row WHERE done IS NULL
MATCH (ch:Channel {channel_id: row.channel_id})
OPTIONAL MATCH (c:Customer {customer_id: row.customer_id})
OPTIONAL MATCH (s:Store {store_id: row.store_id})
OPTIONAL MATCH (g:Region {region_id: row.region_id})
""" + LIVE_OWNER + """
CREATE (o:Order {order_id: row.order_id})
SET o += row.props, o.placed_at = """ + moment_from("row.placed_at") + """, o.retailer_id = row.retailer_id,
    o.anonymous = row.customer_id IS NULL
CREATE (o)-[:VIA]->(ch)
WITH o, row, owner, merges, s, g
CALL (o, owner, merges) { WITH o, owner, merges WHERE owner IS NOT NULL CREATE (owner)-[:PLACED {merges: merges}]->(o) }
CALL (o, s) { WITH o, s WHERE s IS NOT NULL CREATE (o)-[:AT_STORE]->(s) }
CALL (o, g) { WITH o, g WHERE g IS NOT NULL CREATE (o)-[:IN_REGION]->(g) }
CALL (o, row) {
  UNWIND row.lines AS line
  MATCH (p:Product {product_id: line.product_id})
  CREATE (o)-[:CONTAINS {line_no: line.line_no, quantity: line.quantity, unit_price_minor: line.unit_price_minor,
    amount_minor: line.amount_minor, discount_minor: line.discount_minor,
    coupon_discount_minor: line.coupon_discount_minor, coupon_match_discount_minor: line.coupon_match_discount_minor,
    kind: line.kind}]->(p)
}
CALL (o, row) {
  UNWIND coalesce(row.charges, []) AS charge
  MATCH (t:Charge {charge_id: charge.charge_id})
  CREATE (o)-[:CHARGED {line_no: charge.line_no, quantity: charge.quantity, unit_price_minor: charge.unit_price_minor,
    amount_minor: charge.amount_minor, description: charge.description}]->(t)
}
RETURN count(*) AS written
"""

# row: {order_id, line_no, charge_id, props: {quantity, unit_price_minor, amount_minor, description}}
UPSERT_ORDER_CHARGES = """
UNWIND $rows AS row
MATCH (o:Order {order_id: row.order_id})
MATCH (t:Charge {charge_id: row.charge_id})
MERGE (o)-[c:CHARGED {line_no: row.line_no}]->(t)
SET c += row.props
WITH o, count(*) AS lines
CALL (o) {
  MATCH (o)-[c:CHARGED]->()
  WITH o, sum(c.amount_minor) AS charges
  SET o.charges_minor = charges, o.total_minor = coalesce(o.goods_minor, 0) + charges
}
RETURN sum(lines) AS written
"""


def upsert_orders(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update orders; rows naming a missing customer, store, region or channel are not written."""
    return write_rows(graph, UPSERT_ORDERS, epoch_moment(rows, "placed_at"))


def upsert_order_lines(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update order lines (keyed by order and line_no) and refresh the orders' totals."""
    return write_rows(graph, UPSERT_ORDER_LINES, rows)


def create_orders_with_lines(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Write orders not yet in the graph together with all their lines; orders already there are kept.

    An order and its lines are one transaction, so an interrupted load never leaves half a basket, and a
    re-run skips what is done. Every customer, store, region and product referred to must exist already.
    """
    return write_rows(graph, CREATE_ORDERS_WITH_LINES, epoch_moment(rows, "placed_at"))


def upsert_order_charges(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update non-product lines (keyed by order and line_no) and refresh the orders' charges and total."""
    return write_rows(graph, UPSERT_ORDER_CHARGES, rows)
