"""Every Redis key and channel name of the recommender; no other module spells one.

One customer's keys share the hash tag `{c:<customer_id>}` (and one product's `{p:<product_id>}`), so
a customer's lists of every version live in one Redis Cluster slot.
"""

from __future__ import annotations

PREFIX = "nbo"


def versions() -> str:
    """Hash: `current`, `previous` and `building` offer-store versions."""
    return f"{PREFIX}:versions"


def customer_offers(customer_id: str, version: str) -> str:
    return f"{PREFIX}:{{c:{customer_id}}}:offers:{version}"


def customer_history(customer_id: str) -> str:
    """A recently active customer's profile and interactions, kept for the worker (recsys.customer_history)."""
    return f"{PREFIX}:{{c:{customer_id}}}:history"


def similar_products(product_id: str, version: str) -> str:
    return f"{PREFIX}:{{p:{product_id}}}:similar:{version}"


def popular_at_store(store_id: str, version: str) -> str:
    return f"{PREFIX}:popular:store:{store_id}:{version}"


def popular_in_channel(channel_id: str, version: str) -> str:
    return f"{PREFIX}:popular:channel:{channel_id}:{version}"


def popular_overall(version: str) -> str:
    return f"{PREFIX}:popular:all:{version}"


def store_assortment(store_id: str, version: str) -> str:
    """Set of the product ids a store carries (the kiosk rule)."""
    return f"{PREFIX}:carries:{store_id}:{version}"


def product_names(version: str) -> str:
    """Hash product_id -> name, for the human-readable reasons."""
    return f"{PREFIX}:products:{version}"


def identity_holder(kind: str, value: str, version: str) -> str:
    """The customer id holding an identifier (loyalty card, web account ...), as a version knows it."""
    return f"{PREFIX}:identity:{kind}:{value}:{version}"


def version_pattern(version: str) -> str:
    """SCAN pattern matching every key of one version."""
    return f"{PREFIX}:*:{version}"


def event_stream() -> str:
    return f"{PREFIX}:events"


def worker_group() -> str:
    return "offer-workers"


def offers_changed_channel() -> str:
    """Pub/sub channel announcing `{"customer_id", "model_version", "computed_at"}` after a rewrite."""
    return f"{PREFIX}:offers-changed"


def pii_audit_log() -> str:
    """Capped stream of PII reads by the API: who (key id, role), which customer, which fields, when."""
    return "c360:audit:pii"
