"""Customer-360 reads for the API: a whole profile in one round trip, identity look-up, search.

A profile is a map: the customer's own properties plus `identities`, `consents`, `home_store_id`,
`currency`, `merged_from` (MERGED_INTO records of profiles merged into this one), `value` (spend and
order figures) and, only when asked for in `parts`, `orders` (one page), `events`, `service_cases`
(with notes), `timeline` and `campaigns` (received, with coupons redeemed). Parts not asked for cost
nothing: their subqueries are guarded by parameters.

The moments of the value figures and of the long lists (orders, events, cases and notes, timeline) are read
as microseconds since the epoch (see graph.moments): the driver's own DateTimes cost a few milliseconds
of a 50-order profile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from graph.driver import AsyncGraph
from graph.identifiers import identifier_key, lookup_values
from graph.moments import utc_from_micros


@dataclass(frozen=True)
class OrderPage:
    """Which orders: newest first, optionally by channel, store and [since, until), after a cursor."""

    first: int = 20
    channel_id: str | None = None
    store_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_at: str | None = None
    after_id: str | None = None


@dataclass(frozen=True)
class ProfileParts:
    """The optional parts of a profile to fetch (None / 0: not fetched)."""

    orders: OrderPage | None = None
    events_first: int = 0
    event_kinds: tuple[str, ...] | None = None
    cases_first: int = 0
    timeline_first: int = 0
    timeline_cases: bool = False    # service cases in the timeline (their subjects are free text)
    campaigns: bool = False


# A merged-away id resolves to the profile it was merged into.
CUSTOMER_PROFILES = """
UNWIND $ids AS id
MATCH (c0:Customer {customer_id: id})
WITH id, coalesce(head([(c0)-[:MERGED_INTO*1..8]->(s:Customer) WHERE NOT (s)-[:MERGED_INTO]->() | s]), c0) AS c
CALL (c) {
  OPTIONAL MATCH (c)-[:PLACED]->(o:Order)
  WITH o, coalesce(o.total_minor, reduce(t = 0, a IN [(o)-[l:CONTAINS]->() | coalesce(l.amount_minor, 0)] | t + a))
          AS total
  WITH o, CASE coalesce(o.kind, 'purchase') WHEN 'purchase' THEN total WHEN 'return' THEN -abs(total) ELSE 0 END
          AS signed
  WITH sum(signed) AS spend, count(CASE WHEN coalesce(o.kind, 'purchase') = 'purchase' THEN o END) AS orders,
       count(CASE WHEN o.kind = 'return' THEN o END) AS returns, min(o.placed_at) AS first, max(o.placed_at) AS last
  RETURN {spend_minor: spend, order_count: orders, return_count: returns,
          first_purchase_at: first.epochSeconds * 1000000 + first.microsecond,
          last_purchase_at: last.epochSeconds * 1000000 + last.microsecond} AS value
}
CALL (c) {
  OPTIONAL MATCH (c)-[:PLACED]->(o:Order)
  WHERE $orders IS NOT NULL
    AND ($orders.channel_id IS NULL OR EXISTS { (o)-[:VIA]->(:Channel {channel_id: $orders.channel_id}) })
    AND ($orders.store_id IS NULL OR EXISTS { (o)-[:AT_STORE]->(:Store {store_id: $orders.store_id}) })
    AND ($orders.since IS NULL OR o.placed_at >= $orders.since)
    AND ($orders.until IS NULL OR o.placed_at < $orders.until)
  WITH o ORDER BY o.placed_at DESC, o.order_id DESC
  WITH collect(o) AS matching
  WITH matching, [o IN matching WHERE $orders.after_at IS NULL OR o.placed_at < datetime($orders.after_at)
                   OR (o.placed_at = datetime($orders.after_at) AND o.order_id < $orders.after_id)] AS rest
  RETURN size(matching) AS order_total,
         [o IN rest[0..coalesce($orders.first, 0) + 1] | o {
            .order_id, placed_at: o.placed_at.epochSeconds * 1000000 + o.placed_at.microsecond, .kind, .status,
            channel_id: head([(o)-[:VIA]->(ch:Channel) | ch.channel_id]),
            store_id: head([(o)-[:AT_STORE]->(s:Store) | s.store_id]),
            lines: [(o)-[l:CONTAINS]->(p:Product) | l {.line_no, .quantity, .unit_price_minor, .amount_minor,
                    .discount_minor, .coupon_discount_minor, product_id: p.product_id}]
         }] AS orders
}
CALL (c) {
  OPTIONAL MATCH (c)-[:DID]->(e:Event)
  WHERE $events_first > 0 AND ($event_kinds IS NULL OR e.kind IN $event_kinds)
  WITH e ORDER BY e.occurred_at DESC LIMIT $events_first
  RETURN collect(e {.event_id, .kind, occurred_at: e.occurred_at.epochSeconds * 1000000 + e.occurred_at.microsecond,
                    .query,
                    product_id: head([(e)-[:ABOUT]->(p:Product) | p.product_id]),
                    channel_id: head([(e)-[:VIA]->(ch:Channel) | ch.channel_id]),
                    store_id: head([(e)-[:AT_STORE]->(s:Store) | s.store_id])}) AS events
}
CALL (c) {
  OPTIONAL MATCH (c)-[:RAISED]->(sc:ServiceCase) WHERE $cases_first > 0
  WITH sc ORDER BY sc.opened_at DESC LIMIT $cases_first
  RETURN collect(sc {.case_id, opened_at: sc.opened_at.epochSeconds * 1000000 + sc.opened_at.microsecond,
                     .subject, .status,
                     channel_id: head([(sc)-[:VIA]->(ch:Channel) | ch.channel_id]),
                     order_id: head([(sc)-[:ABOUT_ORDER]->(o:Order) | o.order_id]),
                     notes: [(sc)-[:HAS_NOTE]->(n:ServiceNote) |
                       n {.note_id, at: n.at.epochSeconds * 1000000 + n.at.microsecond, .author, .text}]}) AS cases
}
CALL (c) {
  CALL (c) {
    MATCH (c)-[:PLACED]->(o:Order) WHERE $timeline_first > 0
    WITH o ORDER BY o.placed_at DESC LIMIT $timeline_first
    RETURN o.placed_at AS at, coalesce(o.kind, 'purchase') AS kind, o.order_id AS reference,
           head([(o)-[:VIA]->(ch:Channel) | ch.channel_id]) AS channel_id,
           head([(o)-[:AT_STORE]->(s:Store) | s.store_id]) AS store_id, null AS product_id,
           coalesce(o.total_minor, reduce(t = 0, a IN [(o)-[l:CONTAINS]->() | coalesce(l.amount_minor, 0)] | t + a))
             AS amount_minor,
           null AS text
    UNION ALL
    MATCH (c)-[:DID]->(e:Event) WHERE $timeline_first > 0 AND e.order_id IS NULL  // an order's own event: the order is shown
    WITH e ORDER BY e.occurred_at DESC LIMIT $timeline_first
    RETURN e.occurred_at AS at, e.kind AS kind, e.event_id AS reference,
           head([(e)-[:VIA]->(ch:Channel) | ch.channel_id]) AS channel_id,
           head([(e)-[:AT_STORE]->(s:Store) | s.store_id]) AS store_id,
           head([(e)-[:ABOUT]->(p:Product) | p.product_id]) AS product_id, null AS amount_minor, e.query AS text
    UNION ALL
    MATCH (c)-[:RAISED]->(sc:ServiceCase) WHERE $timeline_first > 0 AND $timeline_cases
    WITH sc ORDER BY sc.opened_at DESC LIMIT $timeline_first
    RETURN sc.opened_at AS at, 'service_case' AS kind, sc.case_id AS reference,
           head([(sc)-[:VIA]->(ch:Channel) | ch.channel_id]) AS channel_id,
           null AS store_id, null AS product_id, null AS amount_minor, sc.subject AS text
    UNION ALL
    MATCH (c)-[:GAVE]->(k:Consent) WHERE $timeline_first > 0 AND k.updated_at IS NOT NULL
    RETURN k.updated_at AS at, CASE WHEN k.granted THEN 'consent_granted' ELSE 'consent_withdrawn' END AS kind,
           k.consent_id AS reference, k.source AS channel_id, null AS store_id, null AS product_id,
           null AS amount_minor, k.purpose + '/' + k.medium AS text
  }
  WITH at, kind, reference, channel_id, store_id, product_id, amount_minor, text
  ORDER BY at DESC, kind, reference LIMIT $timeline_first
  RETURN collect({at: at.epochSeconds * 1000000 + at.microsecond, kind: kind, reference: reference,
                  channel_id: channel_id, store_id: store_id, product_id: product_id, amount_minor: amount_minor,
                  text: text}) AS timeline
}
RETURN id, c {.*,
  identities: [(c)-[h:HAS_IDENTITY]->(i:Identity) | i {.kind, .value, channel_id: h.channel_id, since: h.since}],
  consents: [(c)-[:GAVE]->(k:Consent) | k {.purpose, .medium, .granted, .updated_at, .source}],
  home_store_id: head([(c)-[:HOME_STORE]->(s:Store) | s.store_id]),
  merged_from: [(m:Customer)-[r:MERGED_INTO]->(c) | r {.*, customer_id: m.customer_id}],
  currency: COLLECT { MATCH (r:Retailer {retailer_id: c.retailer_id}) RETURN r.currency }[0],
  value: value, order_total: order_total, orders: orders, events: events, service_cases: cases,
  timeline: timeline,
  campaigns: CASE WHEN $campaigns THEN [(c)-[:RECEIVED]->(k:Campaign) | k {.campaign_id, .name, .type, .start_date,
    .end_date, redeemed: COUNT { (c)-[:REDEEMED]->(:Coupon)-[:OF_CAMPAIGN]->(k) }}] ELSE [] END
} AS profile
"""


async def customer_profiles(graph: AsyncGraph, ids: list[str], parts: ProfileParts) -> list[dict[str, Any] | None]:
    """Profiles in the order of `ids` (None where no customer has that id), in one round trip."""
    orders = asdict(parts.orders) if parts.orders else None
    kinds = list(parts.event_kinds) if parts.event_kinds else None
    records = await graph.read(CUSTOMER_PROFILES, ids=ids, orders=orders, events_first=parts.events_first,
                               event_kinds=kinds, cases_first=parts.cases_first,
                               timeline_first=parts.timeline_first, timeline_cases=parts.timeline_cases,
                               campaigns=parts.campaigns)
    by_id = {r["id"]: _with_datetimes(r["profile"]) for r in records}
    return [by_id.get(i) for i in ids]


def _with_datetimes(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile with the moments CUSTOMER_PROFILES sends as epoch microseconds turned into datetimes."""
    value = profile["value"]
    for key in ("first_purchase_at", "last_purchase_at"):
        value[key] = utc_from_micros(value[key])
    for key, rows in (("placed_at", profile["orders"]), ("occurred_at", profile["events"]),
                      ("opened_at", profile["service_cases"]), ("at", profile["timeline"])):
        for row in rows:
            row[key] = utc_from_micros(row[key])
    for case in profile["service_cases"]:
        for note in case["notes"]:
            note["at"] = utc_from_micros(note["at"])
    return profile


# Phone and e-mail are also found on the customer's own contact fields (loaded data often has no
# identity node for them); a linked identity wins over a contact field.
CUSTOMER_BY_IDENTITY = """
CALL () {
  MATCH (i:Identity {kind: $kind}) WHERE i.value IN $values
  MATCH (i)<-[:HAS_IDENTITY]-(c:Customer) RETURN c, 0 AS rank
  UNION
  MATCH (c:Customer) WHERE $kind = 'phone' AND c.phone IN $values RETURN c, 1 AS rank
  UNION
  MATCH (c:Customer) WHERE $kind = 'email' AND c.email IN $values RETURN c, 1 AS rank
}
RETURN c.customer_id AS customer_id ORDER BY rank, customer_id LIMIT 1
"""


async def customer_id_by_identity(graph: AsyncGraph, kind: str, value: str) -> str | None:
    """The customer holding this identity (loyalty card, phone, e-mail ...), None if nobody does; a phone number
    or e-mail in any spelling (graph.identifiers)."""
    records = await graph.read(CUSTOMER_BY_IDENTITY, kind=kind, values=lookup_values(kind, value))
    return records[0]["customer_id"] if records else None


_SEARCH_TAIL = """
WITH DISTINCT c WHERE NOT (c)-[:MERGED_INTO]->()
  AND ($email IS NULL OR c.email = $email) AND ($phones IS NULL OR c.phone IN $phones)
  AND ($card IS NULL OR EXISTS { (c)-[:HAS_IDENTITY]->(:Identity {kind: 'loyalty_card', value: $card}) })
  AND ($after IS NULL OR c.customer_id > $after)
RETURN c.customer_id AS customer_id ORDER BY customer_id LIMIT $limit
"""
SEARCH_CUSTOMERS = {
    "name": "CALL db.index.fulltext.queryNodes('customer_names', $name_query) YIELD node AS c" + _SEARCH_TAIL,
    "card": "MATCH (:Identity {kind: 'loyalty_card', value: $card})<-[:HAS_IDENTITY]-(c:Customer)" + _SEARCH_TAIL,
    "email": "MATCH (c:Customer) WHERE c.email = $email" + _SEARCH_TAIL,
    "phone": "MATCH (c:Customer) WHERE c.phone IN $phones" + _SEARCH_TAIL,
}
NAME_WORD = re.compile(r"\w+(?:'\w+)*")   # as the index's analyzer splits names: "Mary-Jane" two, "O'Brien" one


def name_words(text: str) -> list[str]:
    """The words of a typed name, lower case, as the customer_names index holds them."""
    return NAME_WORD.findall(text.lower())


async def search_customer_ids(graph: AsyncGraph, *, name: str | None = None, phone: str | None = None,
                              email: str | None = None, card: str | None = None, after: str | None = None,
                              limit: int = 20) -> list[str]:
    """Ids of customers matching every given criterion, in id order: each word of `name` begins a word of the
    first or last name (any order, any case), phone and e-mail in any spelling (graph.identifiers), card exact."""
    words = name_words(name) if name else []
    name_query = " ".join(f"+{w}*" for w in words) or None      # Lucene: every word required, as a prefix
    email = identifier_key("email", email) if email else None
    phones = lookup_values("phone", phone) if phone else None
    anchor = next(k for k, v in (("name", name_query), ("card", card), ("email", email), ("phone", phones)) if v)
    records = await graph.read(SEARCH_CUSTOMERS[anchor], name_query=name_query, phones=phones, email=email, card=card,
                               after=after, limit=limit)
    return [r["customer_id"] for r in records]


KNOWN_IDS = """
RETURN COLLECT { UNWIND $customers AS id MATCH (c:Customer {customer_id: id}) RETURN [id, c.retailer_id] } AS customers,
       COLLECT { UNWIND $products AS id MATCH (p:Product {product_id: id}) RETURN [id, p.retailer_id] } AS products,
       COLLECT { UNWIND $stores AS id MATCH (s:Store {store_id: id}) RETURN [id, s.retailer_id] } AS stores,
       COLLECT { UNWIND $orders AS id MATCH (o:Order {order_id: id}) RETURN [id, o.retailer_id] } AS orders,
       COLLECT { UNWIND $orders AS id MATCH (c:Customer)-[:PLACED]->(:Order {order_id: id})
                 RETURN [id, coalesce(head([(c)-[:MERGED_INTO*1..8]->(s:Customer) WHERE NOT (s)-[:MERGED_INTO]->()
                                            | s.customer_id]), c.customer_id)] } AS order_customers,
       COLLECT { UNWIND $cases AS id MATCH (:ServiceCase {case_id: id})<-[:RAISED]-(c:Customer)
                 RETURN [id, c.customer_id] } AS cases,
       COLLECT { MATCH (r:Retailer) WHERE $retailer IS NULL OR r.retailer_id = $retailer
                 RETURN r.retailer_id LIMIT 2 } AS retailers,
       COLLECT { UNWIND $customers AS id MATCH (:Customer {customer_id: id})-[:MERGED_INTO*1..8]->(s:Customer)
                 WHERE NOT (s)-[:MERGED_INTO]->() RETURN [id, s.customer_id] } AS survivors
"""


async def known_ids(graph: AsyncGraph, *, customers: Sequence[str] = (), products: Sequence[str] = (),
                    stores: Sequence[str] = (), orders: Sequence[str] = (), cases: Sequence[str] = (),
                    retailer: str | None = None) -> dict[str, dict[str, str]]:
    """Which of the given ids exist, per kind, mapped to their retailer (cases: to their customer);
    `retailers` holds `retailer` if it exists, or without one up to two retailer ids (one means a
    single-retailer graph); `survivors` maps merged-away customer ids to the profile they were merged into;
    `order_customers` maps each order a customer placed to that customer's live profile (guests' orders: absent)."""
    [r] = await graph.read(KNOWN_IDS, customers=list(customers), products=list(products), stores=list(stores),
                           orders=list(orders), cases=list(cases), retailer=retailer)
    known = {kind: {pair[0]: pair[1] for pair in r[kind]} for kind in ("customers", "products", "stores", "orders",
                                                                     "cases")}
    known["retailers"] = {rid: rid for rid in r["retailers"]}
    known["survivors"] = {pair[0]: pair[1] for pair in r["survivors"]}
    known["order_customers"] = {pair[0]: pair[1] for pair in r["order_customers"]}
    return known


SERVICE_CASE = """
MATCH (c:Customer)-[:RAISED]->(sc:ServiceCase {case_id: $case_id})
RETURN sc {.case_id, .opened_at, .subject, .status, customer_id: c.customer_id,
           channel_id: head([(sc)-[:VIA]->(ch:Channel) | ch.channel_id]),
           order_id: head([(sc)-[:ABOUT_ORDER]->(o:Order) | o.order_id]),
           notes: [(sc)-[:HAS_NOTE]->(n:ServiceNote) | n {.note_id, .at, .author, .text}]} AS service_case
"""


async def service_case(graph: AsyncGraph, case_id: str) -> dict[str, Any] | None:
    """One service case with its notes and customer id; None if unknown."""
    records = await graph.read(SERVICE_CASE, case_id=case_id)
    return records[0]["service_case"] if records else None


PING = "RETURN 1 AS ok"


async def ping(graph: AsyncGraph) -> None:
    """One trivial read; raises the driver's error when the graph does not answer."""
    await graph.read(PING)
