"""Categories (department > category > type), brands and products (write side)."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.writes import write_rows

# row: {category_id, name, level, parent_id|None}; a parent not loaded yet is created with its id only.
UPSERT_CATEGORIES = """
UNWIND $rows AS row
MERGE (c:Category {category_id: row.category_id})
SET c.name = row.name, c.level = row.level
WITH c, row
CALL (c, row) {
  OPTIONAL MATCH (c)-[old:PARENT]->(other) WHERE other.category_id <> row.parent_id OR row.parent_id IS NULL
  DELETE old
  WITH c, row WHERE row.parent_id IS NOT NULL
  MERGE (parent:Category {category_id: row.parent_id})
  MERGE (c)-[:PARENT]->(parent)
}
RETURN count(*) AS written
"""

UPSERT_BRANDS = """
UNWIND $rows AS row
MERGE (b:Brand {brand_id: row.brand_id})
SET b.name = row.name
RETURN count(*) AS written
"""

# row: {product_id, retailer_id, category_id|None, brand_id|None, props: {...}}
UPSERT_PRODUCTS = """
UNWIND $rows AS row
OPTIONAL MATCH (c:Category {category_id: row.category_id})
OPTIONAL MATCH (b:Brand {brand_id: row.brand_id})
WITH row, c, b
WHERE (row.category_id IS NULL OR c IS NOT NULL) AND (row.brand_id IS NULL OR b IS NOT NULL)
MERGE (p:Product {product_id: row.product_id})
SET p += row.props, p.retailer_id = row.retailer_id
WITH p, c, b
CALL (p, c) {
  OPTIONAL MATCH (p)-[old:IN_CATEGORY]->(other) WHERE other <> c OR c IS NULL
  DELETE old
  WITH p, c WHERE c IS NOT NULL
  MERGE (p)-[:IN_CATEGORY]->(c)
}
CALL (p, b) {
  OPTIONAL MATCH (p)-[old:OF_BRAND]->(other) WHERE other <> b OR b IS NULL
  DELETE old
  WITH p, b WHERE b IS NOT NULL
  MERGE (p)-[:OF_BRAND]->(b)
}
RETURN count(*) AS written
"""


def upsert_categories(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update categories and their parent link."""
    return write_rows(graph, UPSERT_CATEGORIES, rows)


def upsert_brands(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update brands {brand_id, name}."""
    return write_rows(graph, UPSERT_BRANDS, rows)


def upsert_products(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update products; rows naming a missing category or brand are not written."""
    return write_rows(graph, UPSERT_PRODUCTS, rows)
