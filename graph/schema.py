"""Uniqueness constraints and lookup indexes, applied idempotently at start-up and by loaders."""

from __future__ import annotations

import neo4j

from graph.driver import Graph

UNIQUE_KEYS: dict[str, str] = {
    "Retailer": "retailer_id",
    "Customer": "customer_id",
    "Identity": "identity_key",
    "Product": "product_id",
    "Category": "category_id",
    "Brand": "brand_id",
    "Store": "store_id",
    "Region": "region_id",
    "Channel": "channel_id",
    "Order": "order_id",
    "Event": "event_id",
    "ServiceCase": "case_id",
    "ServiceNote": "note_id",
    "Consent": "consent_id",
    "Campaign": "campaign_id",
    "Coupon": "coupon_id",
    "Charge": "charge_id",
    "Segment": "segment_id",
    "RetailerFigures": "retailer_id",
}

INDEXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "identity_kind_value": ("Identity", ("kind", "value")),
    "order_placed_at": ("Order", ("placed_at",)),
    "order_retailer": ("Order", ("retailer_id",)),
    "event_occurred_at": ("Event", ("occurred_at",)),
    "event_pending_stream": ("Event", ("pending_stream",)),
    "customer_retailer": ("Customer", ("retailer_id",)),
    "customer_lifecycle": ("Customer", ("lifecycle_stage",)),
    "customer_value_tier": ("Customer", ("value_tier",)),
    "customer_email": ("Customer", ("email",)),
    "customer_phone": ("Customer", ("phone",)),
    "product_retailer": ("Product", ("retailer_id",)),
    "store_retailer": ("Store", ("retailer_id",)),
    "category_level": ("Category", ("level",)),
}


# Full-text (Lucene) indexes: name -> (label, properties, analyzer). Customers' names: searchCustomers matches
# each word the caller types as a prefix of any word of the first or last name, case-insensitively. The analyzer
# keeps every word ("standard" would drop English stop words, so nobody called Will or An could be found).
FULLTEXT_INDEXES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "customer_names": ("Customer", ("first_name", "last_name"), "standard-no-stop-words"),
}

RETIRED_INDEXES = ("customer_last_name",)   # replaced by customer_names; dropped from older databases


# Which of some keys of one label name no node (label and key from UNIQUE_KEYS, never from input).
MISSING_KEYS = """
UNWIND $values AS v OPTIONAL MATCH (n:{label} {{{key}: v}}) WITH v WHERE n IS NULL RETURN collect(v) AS missing
"""


def missing_keys(graph: Graph, label: str, values: list[str]) -> set[str]:
    """The values among `values` that no `label` node holds as its unique key."""
    if not values:
        return set()
    query = MISSING_KEYS.format(label=label, key=UNIQUE_KEYS[label])
    return set(graph.read(query, values=values)[0]["missing"])


def constraint_statements() -> list[str]:
    """Every CREATE CONSTRAINT / CREATE INDEX (and DROP of a retired index) statement, each idempotent."""
    statements = [
        f"CREATE CONSTRAINT {label.lower()}_{key} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
        for label, key in UNIQUE_KEYS.items()
    ]
    for name, (label, props) in INDEXES.items():
        columns = ", ".join(f"n.{p}" for p in props)
        statements.append(f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON ({columns})")
    for name, (label, props, analyzer) in FULLTEXT_INDEXES.items():
        columns = ", ".join(f"n.{p}" for p in props)
        statements.append(f"CREATE FULLTEXT INDEX {name} IF NOT EXISTS FOR (n:{label}) ON EACH [{columns}] "
                          f"OPTIONS {{indexConfig: {{`fulltext.analyzer`: '{analyzer}'}}}}")
    statements += [f"DROP INDEX {name} IF EXISTS" for name in RETIRED_INDEXES]
    return statements


def apply_schema(graph: Graph) -> int:
    """Create every constraint and index that is missing and wait until they are online."""
    for statement in constraint_statements():
        graph.write(statement)
    graph.write("CALL db.awaitIndexes(300)")
    return len(UNIQUE_KEYS) + len(INDEXES) + len(FULLTEXT_INDEXES)


# After a bulk write the planner's index statistics lag behind: an index filled since its last sample still
# estimates 0 rows per value, and a query planned then keeps its plan in the cache until background sampling
# catches up (about 40 s later). The recommender's read of the freshly loaded demo took 11.7 s on such a plan and
# 0.46 s on one made from fresh statistics.
PREPARE_FOR_REPLANNING = "CALL db.prepareForReplanning($seconds)"
RESAMPLE_OUTDATED_INDEXES = "CALL db.resampleOutdatedIndexes()"


def refresh_statistics(graph: Graph, seconds: int = 300) -> bool:
    """Resample the indexes and drop cached query plans, so that what runs next is planned on the graph as it is.

    False where the server answers the call with a client error (it is admin-only; refused, unknown or failed): the
    resampling is then only scheduled, and cached plans are replaced once the planner sees the new statistics.
    """
    try:
        graph.write(PREPARE_FOR_REPLANNING, seconds=seconds)
    except neo4j.exceptions.ClientError:
        graph.write(RESAMPLE_OUTDATED_INDEXES)
        return False
    return True


EXISTING_CONSTRAINTS = "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type RETURN labelsOrTypes, properties, type"


def existing_unique_keys(graph: Graph) -> set[tuple[str, str]]:
    """(label, property) of every uniqueness constraint in the database."""
    return {(r["labelsOrTypes"][0], r["properties"][0])
            for r in graph.read(EXISTING_CONSTRAINTS) if r["type"] == "UNIQUENESS"}


EXISTING_INDEXES = """
SHOW INDEXES YIELD name, labelsOrTypes, properties, state, owningConstraint
RETURN name, labelsOrTypes, properties, state, owningConstraint
"""


def existing_indexes(graph: Graph) -> dict[str, tuple[str, tuple[str, ...], str]]:
    """Every lookup index that no constraint owns: name -> (label, properties, state)."""
    return {r["name"]: (r["labelsOrTypes"][0], tuple(r["properties"]), r["state"])
            for r in graph.read(EXISTING_INDEXES) if r["owningConstraint"] is None and r["labelsOrTypes"]}
