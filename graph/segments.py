"""Saved segments: Segment(segment_id) nodes holding a filter as JSON, with materialised membership.

(Customer)-[:MEMBER_OF]->(Segment) is rebuilt when a segment is saved, by every full analytics run and,
for one customer, by analytics.refresh_customer; Segment.member_count and counted_at follow it. A save and its
rebuild, like every full rebuild, are one transaction holding the segment's write lock (see LOCK_SEGMENT).
The filter is one constant query with a parameter per field (null: no condition), see SegmentFilter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timezone
from typing import Any

from graph.consents import REACHABLE
from graph.driver import AsyncGraph, Graph

LIST_FIELDS = ("region_ids", "age_bands", "genders", "income_bands", "tiers", "lifecycle_stages",
               "rfm_segments", "tags", "channels", "bought_product_ids", "bought_category_ids")


class FilterError(ValueError):
    """A segment filter names an unknown field or has a value of the wrong type; the message says which."""


@dataclass(frozen=True)
class SegmentFilter:
    """Every condition is optional; list conditions match any of their values. Spend is window spend (minor units)."""

    retailer_id: str | None = None
    region_ids: list[str] = field(default_factory=list)       # the customer's region or their home store's
    age_bands: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    income_bands: list[str] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)             # core | middle | tail
    lifecycle_stages: list[str] = field(default_factory=list)
    rfm_segments: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)          # ordered or had an event through any
    bought_product_ids: list[str] = field(default_factory=list)
    bought_category_ids: list[str] = field(default_factory=list)  # the category or any below it
    bought_from: date | None = None                            # purchase day (UTC) on or after
    bought_to: date | None = None                              # purchase day (UTC) before
    spend_min_minor: int | None = None
    spend_max_minor: int | None = None

    def to_json(self) -> str:
        return json.dumps({k: (v.isoformat() if isinstance(v, date) else v)
                           for k, v in asdict(self).items() if v not in (None, [])}, sort_keys=True)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "SegmentFilter":
        """Validated filter; raises FilterError naming the offending field."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise FilterError(f"unknown filter field(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in raw.items():
            values[name] = _checked(name, value)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> "SegmentFilter":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FilterError(f"filter is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise FilterError("filter must be a JSON object")
        return cls.from_dict(raw)

    def params(self) -> dict[str, Any]:
        """Query parameters: empty conditions become null."""
        p: dict[str, Any] = {name: (getattr(self, name) or None) for name in LIST_FIELDS}
        p["retailer_id"] = self.retailer_id
        bought = self.bought_product_ids or self.bought_category_ids or self.bought_from or self.bought_to
        p["bought"] = bool(bought) or None
        p["bought_from"], p["bought_to"] = self.bought_from, self.bought_to
        p["spend_min"], p["spend_max"] = self.spend_min_minor, self.spend_max_minor
        return p


def _checked(name: str, value: Any) -> Any:
    if value is None:
        return [] if name in LIST_FIELDS else None
    if name in LIST_FIELDS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FilterError(f"filter field {name} must be a list of strings")
        return value
    if name in ("bought_from", "bought_to"):
        try:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise FilterError(f"filter field {name} must be a date YYYY-MM-DD, got {value!r}") from None
    if name.startswith("spend_"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise FilterError(f"filter field {name} must be an integer amount in minor units")
        return value
    if not isinstance(value, str):
        raise FilterError(f"filter field {name} must be a string")
    return value


# Purchases of the given products or categories (or anything below them) between two days.
BOUGHT = """
EXISTS {
  MATCH (c)-[:PLACED]->(o:Order {kind: 'purchase'})-[:CONTAINS]->(p:Product)
  WHERE ($bought_from IS NULL OR date(o.placed_at) >= $bought_from)
    AND ($bought_to IS NULL OR date(o.placed_at) < $bought_to)
    AND (($bought_product_ids IS NULL AND $bought_category_ids IS NULL)
         OR p.product_id IN coalesce($bought_product_ids, [])
         OR EXISTS { MATCH (p)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..]->(k:Category)
                     WHERE k.category_id IN coalesce($bought_category_ids, []) })
}
"""

MATCHING = """
MATCH (c:Customer)
WHERE ($customer_id IS NULL OR c.customer_id = $customer_id)
  AND ($retailer_id IS NULL OR c.retailer_id = $retailer_id)
  AND NOT (c)-[:MERGED_INTO]->()
  AND ($age_bands IS NULL OR c.age_band IN $age_bands)
  AND ($genders IS NULL OR c.gender IN $genders)
  AND ($income_bands IS NULL OR c.income_band IN $income_bands)
  AND ($tiers IS NULL OR c.value_tier IN $tiers)
  AND ($lifecycle_stages IS NULL OR c.lifecycle_stage IN $lifecycle_stages)
  AND ($rfm_segments IS NULL OR c.rfm_segment IN $rfm_segments)
  AND ($tags IS NULL OR any(t IN coalesce(c.tags, []) WHERE t IN $tags))
  AND ($spend_min IS NULL OR coalesce(c.rfm_monetary_minor, 0) >= $spend_min)
  AND ($spend_max IS NULL OR coalesce(c.rfm_monetary_minor, 0) <= $spend_max)
  AND ($region_ids IS NULL
       OR EXISTS { MATCH (c)-[:IN_REGION]->(r:Region) WHERE r.region_id IN $region_ids }
       OR EXISTS { MATCH (c)-[:HOME_STORE]->(:Store)-[:IN_REGION]->(r:Region) WHERE r.region_id IN $region_ids })
  AND ($channels IS NULL
       OR EXISTS { MATCH (c)-[:PLACED]->(:Order)-[:VIA]->(ch:Channel) WHERE ch.channel_id IN $channels }
       OR EXISTS { MATCH (c)-[:DID]->(:Event)-[:VIA]->(ch:Channel) WHERE ch.channel_id IN $channels })
  AND ($bought IS NULL OR """ + BOUGHT + """)
  AND ($purpose IS NULL OR """ + REACHABLE + """)
"""

MEMBER_FIELDS = """
RETURN c.customer_id AS customer_id, c.retailer_id AS retailer_id, c.first_name AS first_name,
       c.last_name AS last_name, c.email AS email, c.phone AS phone, c.value_tier AS value_tier,
       c.lifecycle_stage AS lifecycle_stage, c.rfm_segment AS rfm_segment,
       c.rfm_monetary_minor AS spend_minor
"""

# The contacts a campaign may use: with $medium (email or sms; REACHABLE with $opt_in) only that medium's, and only
# customers who have it; without ($medium = ... is null), those of the media each customer granted for $purpose
# (the medium or 'any', as graph.audiences names them).
CONTACTS = """
WITH c, [(c)-[:GAVE]->(k:Consent {purpose: $purpose, granted: true}) | k.medium] AS granted
WITH c, CASE WHEN coalesce($medium = 'email', any(m IN granted WHERE m IN ['email', 'any'])) THEN c.email END AS email,
        CASE WHEN coalesce($medium = 'sms', any(m IN granted WHERE m IN ['sms', 'any'])) THEN c.phone END AS phone
WHERE $medium IS NULL OR coalesce(email, phone) IS NOT NULL
RETURN c.customer_id AS customer_id, c.retailer_id AS retailer_id, c.first_name AS first_name,
       c.last_name AS last_name, email, phone, c.value_tier AS value_tier, c.lifecycle_stage AS lifecycle_stage,
       c.rfm_segment AS rfm_segment, c.rfm_monetary_minor AS spend_minor
ORDER BY customer_id
"""
CONTACT_MEDIA = ("email", "sms")

COUNT_MATCHING = MATCHING + "RETURN count(c) AS n"
PAGE_OF_MATCHING = MATCHING + "AND ($after IS NULL OR c.customer_id > $after)\n" + MEMBER_FIELDS + \
    "ORDER BY customer_id LIMIT $limit"
MATCHING_IDS = MATCHING + "RETURN c.customer_id AS customer_id ORDER BY customer_id"
CONTACTS_OF_MATCHING = MATCHING + CONTACTS

SAVE_SEGMENT = """
MERGE (s:Segment {segment_id: $segment_id})
ON CREATE SET s.created_at = $now
SET s.name = $name, s.retailer_id = $retailer_id, s.filter_json = $filter_json, s.updated_at = $now
"""

DELETE_SEGMENT = "MATCH (s:Segment {segment_id: $segment_id}) DETACH DELETE s"

SEGMENT_FIELDS = """
RETURN s.segment_id AS segment_id, s.name AS name, s.filter_json AS filter_json,
       s.member_count AS member_count, s.counted_at AS counted_at, s.created_at AS created_at,
       s.updated_at AS updated_at
"""
SEGMENT_BY_ID = "MATCH (s:Segment {segment_id: $segment_id})" + SEGMENT_FIELDS
ALL_SEGMENTS = "MATCH (s:Segment)" + SEGMENT_FIELDS + "ORDER BY name, segment_id"
SEGMENTS_OF_CUSTOMER = "MATCH (:Customer {customer_id: $customer_id})-[:MEMBER_OF]->(s:Segment)" + SEGMENT_FIELDS + \
    "ORDER BY name"
SEGMENT_IDS = "MATCH (s:Segment) RETURN s.segment_id AS segment_id, s.filter_json AS filter_json"

# A save or rebuild first writes the Segment node (SAVE_SEGMENT or LOCK_SEGMENT), taking its write lock: a parallel
# one of the same segment waits until the first commits, then rebuilds from the filter that is stored.
LOCK_SEGMENT = "MATCH (s:Segment {segment_id: $segment_id}) SET s.counted_at = $now"
FILTER_OF_SEGMENT = "MATCH (s:Segment {segment_id: $segment_id}) RETURN s.filter_json AS filter_json"

CLEAR_MEMBERS = "MATCH (:Segment {segment_id: $segment_id})<-[m:MEMBER_OF]-() DELETE m"

ADD_MEMBERS = """
UNWIND $customer_ids AS customer_id
MATCH (s:Segment {segment_id: $segment_id}), (c:Customer {customer_id: customer_id})
MERGE (c)-[:MEMBER_OF]->(s)
"""

RECOUNT = """
MATCH (s:Segment {segment_id: $segment_id})
SET s.member_count = COUNT { (s)<-[:MEMBER_OF]-(:Customer) }, s.counted_at = $now
RETURN s.member_count AS n
"""


@dataclass(frozen=True)
class Segment:
    """A saved, named filter and how many customers it held when last counted."""

    segment_id: str
    name: str
    filter: SegmentFilter
    member_count: int | None
    counted_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_record(cls, r: Any) -> "Segment":
        def native(v: Any) -> Any:
            return v.to_native() if hasattr(v, "to_native") else v
        return cls(r["segment_id"], r["name"], SegmentFilter.from_json(r["filter_json"]), r["member_count"],
                   native(r["counted_at"]), native(r["created_at"]), native(r["updated_at"]))


def _params(f: SegmentFilter, *, customer_id: str | None = None, purpose: str | None = None,
            medium: str | None = None, opt_in: bool = False) -> dict[str, Any]:
    return {**f.params(), "customer_id": customer_id, "purpose": purpose, "medium": medium, "opt_in": opt_in}


def count_matching(graph: Graph, f: SegmentFilter) -> int:
    """Customers matching the filter now."""
    return int(graph.read(COUNT_MATCHING, **_params(f))[0]["n"])


def page_of_matching(graph: Graph, f: SegmentFilter, *, after: str | None = None, limit: int = 50,
                     purpose: str | None = None, medium: str | None = None) -> list[dict[str, Any]]:
    """Up to `limit` matching customers with customer_id > `after`, by customer_id (keyset pagination)."""
    return [dict(r) for r in graph.read(PAGE_OF_MATCHING, **_params(f, purpose=purpose, medium=medium),
                                        after=after, limit=limit)]


def stream_matching(graph: Graph, f: SegmentFilter, *, purpose: str = "marketing",
                    medium: str | None = None) -> Iterator[dict[str, Any]]:
    """Matching customers reachable for the purpose, with the contacts they may be reached on (CSV export, CONTACTS)."""
    if medium not in (None, *CONTACT_MEDIA):
        raise ValueError(f"the export holds e-mail addresses and phone numbers: medium must be email or sms (or none), "
                         f"not {medium}")
    params = _params(f, purpose=purpose, medium=medium, opt_in=medium is not None)
    return (dict(r) for r in graph.stream(CONTACTS_OF_MATCHING, **params))


def save_segment(graph: Graph, name: str, f: SegmentFilter, segment_id: str | None = None) -> Segment:
    """Create (no id) or replace a segment and rebuild its members in one transaction; returns it counted."""
    segment_id = segment_id or uuid.uuid4().hex

    def work(tx: Any) -> int:
        now = datetime.now(timezone.utc)
        tx.run(SAVE_SEGMENT, segment_id=segment_id, name=name, retailer_id=f.retailer_id, filter_json=f.to_json(),
               now=now).consume()
        return _rebuild(tx, segment_id, f, now)
    graph.write_tx(work)
    found = segment_by_id(graph, segment_id)
    assert found is not None
    return found


def delete_segment(graph: Graph, segment_id: str) -> bool:
    """Delete a segment and its memberships; True if it existed."""
    return graph.write(DELETE_SEGMENT, segment_id=segment_id).counters.nodes_deleted > 0


def segment_by_id(graph: Graph, segment_id: str) -> Segment | None:
    records = graph.read(SEGMENT_BY_ID, segment_id=segment_id)
    return Segment.from_record(records[0]) if records else None


def all_segments(graph: Graph) -> list[Segment]:
    return [Segment.from_record(r) for r in graph.read(ALL_SEGMENTS)]


def segments_of_customer(graph: Graph, customer_id: str) -> list[Segment]:
    return [Segment.from_record(r) for r in graph.read(SEGMENTS_OF_CUSTOMER, customer_id=customer_id)]


def refresh_members(graph: Graph, segment_id: str) -> int:
    """Rebuild one segment's members from the filter it holds, in one transaction; returns the member count."""
    def work(tx: Any) -> int:
        now = datetime.now(timezone.utc)
        f = _locked_filter(tx, segment_id, now)
        return _rebuild(tx, segment_id, f, now) if f is not None else 0
    return graph.write_tx(work)


def _locked_filter(tx: Any, segment_id: str, now: datetime) -> SegmentFilter | None:
    """Take the segment's write lock in `tx` and read the filter it holds; None if there is no such segment."""
    tx.run(LOCK_SEGMENT, segment_id=segment_id, now=now).consume()
    record = tx.run(FILTER_OF_SEGMENT, segment_id=segment_id).single()
    return SegmentFilter.from_json(record["filter_json"]) if record else None


def _rebuild(tx: Any, segment_id: str, f: SegmentFilter, now: datetime) -> int:
    """Replace the segment's MEMBER_OF relationships by the customers matching `f`; store and return their count."""
    tx.run(CLEAR_MEMBERS, segment_id=segment_id).consume()
    ids = [r["customer_id"] for r in tx.run(MATCHING_IDS, **_params(f))]
    for start in range(0, len(ids), 10_000):
        tx.run(ADD_MEMBERS, segment_id=segment_id, customer_ids=ids[start:start + 10_000]).consume()
    record = tx.run(RECOUNT, segment_id=segment_id, now=now).single()
    return int(record["n"]) if record else 0


def refresh_all_memberships(graph: Graph) -> int:
    """Rebuild every segment's members (after a full analytics run); returns the number of segments."""
    rows = graph.read(SEGMENT_IDS)
    for r in rows:
        refresh_members(graph, r["segment_id"])
    return len(rows)


# One customer re-tested against one segment, under the segment's write lock (LOCK_SEGMENT comes first in the same
# transaction), so a segment saved or rebuilt meanwhile is never left with a membership from its old filter.
SET_MEMBERSHIP_OF_ONE = """
CALL () { """ + COUNT_MATCHING + """ }
MATCH (s:Segment {segment_id: $segment_id}), (c:Customer {customer_id: $customer_id})
OPTIONAL MATCH (c)-[m:MEMBER_OF]->(s)
FOREACH (_ IN CASE WHEN n > 0 AND m IS NULL THEN [1] ELSE [] END | CREATE (c)-[:MEMBER_OF]->(s))
FOREACH (_ IN CASE WHEN n = 0 AND m IS NOT NULL THEN [1] ELSE [] END | DELETE m)
WITH s, n > 0 AS member
SET s.member_count = COUNT { (s)<-[:MEMBER_OF]-(:Customer) }, s.counted_at = $now
RETURN member
"""


def refresh_customer_memberships(graph: Graph, customer_id: str) -> list[str]:
    """Re-test one customer against every segment (one transaction each, with the filter the segment holds then);
    returns the ids of the segments they are in now."""
    def work(tx: Any, segment_id: str) -> bool:
        now = datetime.now(timezone.utc)
        f = _locked_filter(tx, segment_id, now)
        if f is None:                           # deleted meanwhile
            return False
        found = tx.run(SET_MEMBERSHIP_OF_ONE, **_params(f, customer_id=customer_id), segment_id=segment_id,
                       now=now).single()
        return bool(found and found["member"])
    return [r["segment_id"] for r in graph.read(SEGMENT_IDS)
            if graph.write_tx(lambda tx, segment_id=r["segment_id"]: work(tx, segment_id))]


SEGMENTS_OF_CUSTOMERS = """
UNWIND $ids AS id
MATCH (:Customer {customer_id: id})-[:MEMBER_OF]->(s:Segment)
RETURN id, s.segment_id AS segment_id, s.name AS name, s.filter_json AS filter_json,
       s.member_count AS member_count, s.counted_at AS counted_at, s.created_at AS created_at,
       s.updated_at AS updated_at
ORDER BY id, name
"""


async def segments_of_customers(graph: AsyncGraph, ids: list[str]) -> dict[str, list[Segment]]:
    """The saved segments each customer is a member of, by name (API)."""
    found: dict[str, list[Segment]] = {}
    for r in await graph.read(SEGMENTS_OF_CUSTOMERS, ids=ids):
        found.setdefault(r["id"], []).append(Segment.from_record(r))
    return found
