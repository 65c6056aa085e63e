"""Campaigns, who received them, coupons and their redemptions (write side)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.merges import LIVE_OWNER
from graph.writes import write_rows

# row: {campaign_id, retailer_id, name, type, start_date|None, end_date|None}
UPSERT_CAMPAIGNS = """
UNWIND $rows AS row
MERGE (k:Campaign {campaign_id: row.campaign_id})
SET k.retailer_id = row.retailer_id, k.name = row.name, k.type = row.type,
    k.start_date = row.start_date, k.end_date = row.end_date
RETURN count(*) AS written
"""

UPSERT_CAMPAIGN_RECIPIENTS = """
UNWIND $rows AS row
MATCH (k:Campaign {campaign_id: row.campaign_id})
MATCH (c:Customer {customer_id: row.customer_id})
""" + LIVE_OWNER + """
MERGE (owner)-[r:RECEIVED]->(k)
ON CREATE SET r.merges = merges
RETURN count(*) AS written
"""

# row: {coupon_id, campaign_id|None, product_id|None}; several rows of one coupon add its campaigns/products.
UPSERT_COUPONS = """
UNWIND $rows AS row
OPTIONAL MATCH (k:Campaign {campaign_id: row.campaign_id})
OPTIONAL MATCH (p:Product {product_id: row.product_id})
WITH row, k, p
WHERE (row.campaign_id IS NULL OR k IS NOT NULL) AND (row.product_id IS NULL OR p IS NOT NULL)
MERGE (cp:Coupon {coupon_id: row.coupon_id})
WITH cp, k, p
CALL (cp, k) { WITH cp, k WHERE k IS NOT NULL MERGE (cp)-[:OF_CAMPAIGN]->(k) }
CALL (cp, p) { WITH cp, p WHERE p IS NOT NULL MERGE (cp)-[:APPLIES_TO]->(p) }
RETURN count(*) AS written
"""

# row: {customer_id, coupon_id, campaign_id|None, redeemed_on}
UPSERT_REDEMPTIONS = """
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
MATCH (cp:Coupon {coupon_id: row.coupon_id})
""" + LIVE_OWNER + """
MERGE (owner)-[r:REDEEMED {redeemed_on: row.redeemed_on, campaign_id: coalesce(row.campaign_id, '')}]->(cp)
ON CREATE SET r.merges = merges
RETURN count(*) AS written
"""


def upsert_campaigns(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update campaigns."""
    return write_rows(graph, UPSERT_CAMPAIGNS, rows)


def upsert_campaign_recipients(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Record which customer received which campaign; both must exist."""
    return write_rows(graph, UPSERT_CAMPAIGN_RECIPIENTS, rows)


def upsert_coupons(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create coupons with their campaign and product; rows naming a missing one are not written."""
    return write_rows(graph, UPSERT_COUPONS, rows)


def upsert_redemptions(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Record a customer redeeming a coupon on a day; customer and coupon must exist."""
    return write_rows(graph, UPSERT_REDEMPTIONS, rows)
