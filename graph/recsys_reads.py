"""What the recommender reads besides interactions: customers' home store and consent, the catalogue,
store assortments."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph

# personalisation: the latest 'personalisation' consent's `granted`, null where the customer gave none.
CUSTOMER_PROFILES = """
MATCH (c:Customer {retailer_id: $retailer_id})
WHERE NOT (c)-[:MERGED_INTO]->()
CALL (c) {
  OPTIONAL MATCH (c)-[:GAVE]->(k:Consent {purpose: 'personalisation'})
  RETURN k.granted AS granted ORDER BY k.updated_at DESC LIMIT 1
}
RETURN c.customer_id AS customer_id,
       head([(c)-[:HOME_STORE]->(s:Store) | s.store_id]) AS home_store_id, granted AS personalisation,
       [(c)-[:HAS_IDENTITY]->(i:Identity) | [i.kind, i.value]] AS identities
"""

# One record holding the whole catalogue: the driver's cost is per record.
PRODUCTS_OF_RETAILER = """
MATCH (p:Product {retailer_id: $retailer_id})
RETURN collect([p.product_id, p.name, head([(p)-[:IN_CATEGORY]->(k:Category) | k.category_id])]) AS products
"""

STORE_ASSORTMENTS = """
MATCH (s:Store {retailer_id: $retailer_id})-[:CARRIES]->(p:Product)
RETURN s.store_id AS store_id, collect(p.product_id) AS product_ids
"""

def customer_profiles(graph: Graph, retailer_id: str) -> list[dict[str, Any]]:
    """customer_id, home_store_id, personalisation (True/False/None) and identities ([kind, value] pairs)
    of every active customer."""
    return [dict(r) for r in graph.stream(CUSTOMER_PROFILES, retailer_id=retailer_id)]


def products_of_retailer(graph: Graph, retailer_id: str) -> list[dict[str, Any]]:
    """product_id, name, category_id of the retailer's catalogue."""
    [record] = graph.read(PRODUCTS_OF_RETAILER, retailer_id=retailer_id)
    return [{"product_id": p, "name": name, "category_id": c} for p, name, c in record["products"]]


def store_assortments(graph: Graph, retailer_id: str) -> dict[str, list[str]]:
    """Product ids each store carries (stores without CARRIES are absent: no restriction known)."""
    return {r["store_id"]: r["product_ids"] for r in graph.stream(STORE_ASSORTMENTS, retailer_id=retailer_id)}


RETAILER_IDS = "MATCH (r:Retailer) RETURN r.retailer_id AS retailer_id ORDER BY retailer_id"


def retailer_ids(graph: Graph) -> list[str]:
    return [r["retailer_id"] for r in graph.read(RETAILER_IDS)]
