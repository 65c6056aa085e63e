"""Product and store reads for the API: batches by id (for DataLoaders), availability, bestsellers."""

from __future__ import annotations

from typing import Any

from graph.driver import AsyncGraph

PRODUCTS_BY_IDS = """
UNWIND $ids AS id
MATCH (p:Product {product_id: id})
CALL (p) {
  OPTIONAL MATCH path = (p)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..4]->(top:Category)
  WHERE NOT (top)-[:PARENT]->()
  RETURN [n IN reverse(tail(nodes(path))) | n {.category_id, .name, .level}] AS category_path LIMIT 1
}
RETURN id, p {.product_id, .name, .price_minor, .is_consumable, .package_size,
  brand: head([(p)-[:OF_BRAND]->(b:Brand) | b {.brand_id, .name}]),
  category_path: coalesce(category_path, []),
  currency: COLLECT { MATCH (r:Retailer {retailer_id: p.retailer_id}) RETURN r.currency }[0]
} AS product
"""


async def products_by_ids(graph: AsyncGraph, ids: list[str]) -> list[dict[str, Any] | None]:
    """Products in the order of `ids` with brand, category path (top first) and currency; None if unknown."""
    records = await graph.read(PRODUCTS_BY_IDS, ids=ids)
    by_id = {r["id"]: r["product"] for r in records}
    return [by_id.get(i) for i in ids]


STORES_BY_IDS = """
UNWIND $ids AS id
MATCH (s:Store {store_id: id})
RETURN id, s {.store_id, .name, .format, .retailer_id,
  region: head([(s)-[:IN_REGION]->(r:Region) | r {.region_id, .name}])} AS store
"""


async def stores_by_ids(graph: AsyncGraph, ids: list[str]) -> list[dict[str, Any] | None]:
    """Stores in the order of `ids` with their region; None if unknown."""
    records = await graph.read(STORES_BY_IDS, ids=ids)
    by_id = {r["id"]: r["store"] for r in records}
    return [by_id.get(i) for i in ids]


PRODUCT_AVAILABILITY = """
MATCH (s:Store)-[c:CARRIES]->(:Product {product_id: $product_id})
WHERE $store_id IS NULL OR s.store_id = $store_id
RETURN s.store_id AS store_id, c.stock AS stock ORDER BY store_id LIMIT $limit
"""


async def product_availability(graph: AsyncGraph, product_id: str, store_id: str | None,
                               limit: int) -> list[dict[str, Any]]:
    """Stores carrying the product (store_id, stock); stock is null where the store does not report it."""
    return [dict(r) for r in await graph.read(PRODUCT_AVAILABILITY, product_id=product_id,
                                              store_id=store_id, limit=limit)]


STORE_BESTSELLERS = """
MATCH (o:Order)-[l:CONTAINS]->(p:Product)
WHERE ($store_id IS NULL OR EXISTS { (o)-[:AT_STORE]->(:Store {store_id: $store_id}) })
  AND o.placed_at >= datetime() - duration({days: $days})
RETURN p.product_id AS product_id, sum(coalesce(l.quantity, 1)) AS sold ORDER BY sold DESC, product_id LIMIT $limit
"""


async def store_bestsellers(graph: AsyncGraph, store_id: str | None, limit: int,
                            days: int = 3650) -> list[tuple[str, int]]:
    """(product_id, units sold) of a store's (or every store's) bestsellers over the last `days`."""
    records = await graph.read(STORE_BESTSELLERS, store_id=store_id, limit=limit, days=days)
    return [(r["product_id"], r["sold"]) for r in records]
