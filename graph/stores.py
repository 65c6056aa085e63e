"""Regions, stores, what each store carries and in-store promotions (write side)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.writes import write_rows

UPSERT_REGIONS = """
UNWIND $rows AS row
MERGE (g:Region {region_id: row.region_id})
SET g.name = row.name
RETURN count(*) AS written
"""

# row: {store_id, retailer_id, name, format, region_id|None}
UPSERT_STORES = """
UNWIND $rows AS row
OPTIONAL MATCH (g:Region {region_id: row.region_id})
WITH row, g WHERE row.region_id IS NULL OR g IS NOT NULL
MERGE (s:Store {store_id: row.store_id})
SET s.retailer_id = row.retailer_id, s.name = row.name, s.format = row.format
WITH s, g
CALL (s, g) {
  WITH s, g WHERE g IS NOT NULL
  MERGE (s)-[:IN_REGION]->(g)
}
RETURN count(*) AS written
"""

# row: {store_id, product_id, stock|None, source}
UPSERT_STORE_PRODUCTS = """
UNWIND $rows AS row
MATCH (s:Store {store_id: row.store_id})
MATCH (p:Product {product_id: row.product_id})
MERGE (s)-[c:CARRIES]->(p)
SET c.stock = row.stock, c.source = row.source
RETURN count(*) AS written
"""

# row: {store_id, product_id, week, display, mailer}; one PROMOTED relationship per week.
UPSERT_PROMOTIONS = """
UNWIND $rows AS row
MATCH (s:Store {store_id: row.store_id})
MATCH (p:Product {product_id: row.product_id})
MERGE (s)-[r:PROMOTED {week: row.week}]->(p)
SET r.display = row.display, r.mailer = row.mailer
RETURN count(*) AS written
"""


def upsert_regions(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update regions {region_id, name}."""
    return write_rows(graph, UPSERT_REGIONS, rows)


def upsert_stores(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update stores; rows naming a missing region are not written."""
    return write_rows(graph, UPSERT_STORES, rows)


def upsert_store_products(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Record that a store carries a product (with stock where known)."""
    return write_rows(graph, UPSERT_STORE_PRODUCTS, rows)


def upsert_promotions(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Record a product promoted in a store in a given week (display and mailer placement)."""
    return write_rows(graph, UPSERT_PROMOTIONS, rows)
