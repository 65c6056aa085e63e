"""Audience queries of the retail playbook. Every one keeps out customers who withdrew consent for the purpose
(graph.consents.REACHABLE) and returns the media they granted for it, so a campaign knows where to speak.

Dates are calendar days in UTC; lists are paged with skip/limit in a stable order.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from graph.driver import Graph
from graph.consents import REACHABLE

CONTACT = """
c.customer_id AS customer_id, c.retailer_id AS retailer_id, c.first_name AS first_name,
c.last_name AS last_name, c.email AS email, c.phone AS phone, c.value_tier AS value_tier,
c.lifecycle_stage AS lifecycle_stage, c.rfm_segment AS rfm_segment, c.rfm_monetary_minor AS spend_minor,
c.last_purchase_on AS last_purchase_on, c.lifecycle_stage_since AS stage_since,
[(c)-[:GAVE]->(k:Consent {purpose: $purpose, granted: true}) | k.medium] AS granted_media
"""

AUDIENCE = """
($retailer_id IS NULL OR c.retailer_id = $retailer_id) AND NOT (c)-[:MERGED_INTO]->()
  AND """ + REACHABLE

POST_PURCHASE_CARE = """
MATCH (o:Order {kind: 'purchase'}) WHERE o.placed_at >= $start AND o.placed_at < $end
MATCH (c:Customer)-[:PLACED]->(o)-[:CONTAINS]->(p:Product)
WHERE p.product_id IN $product_ids
   OR EXISTS { MATCH (p)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..]->(k:Category) WHERE k.category_id IN $category_ids }
WITH c, p, max(o.placed_at) AS bought_at
WHERE """ + AUDIENCE + """
WITH c, collect({product_id: p.product_id, name: p.name, bought_at: bought_at}) AS products
RETURN """ + CONTACT + """, products
ORDER BY customer_id SKIP $skip LIMIT $limit
"""

# The channel a customer answers on: their stated preference, else the channel of most of their orders and events.
ANSWER_CHANNEL = """
CALL (c) {
  OPTIONAL MATCH (c)-[:PLACED|DID]->(x)-[:VIA]->(ch:Channel)
  WITH ch.channel_id AS channel_id, count(x) AS n ORDER BY n DESC, channel_id LIMIT 1
  RETURN coalesce(c.preferred_channel, channel_id) AS answer_channel
}
"""

DORMANT_WORTH_WAKING = """
MATCH (c:Customer {lifecycle_stage: 'dormant'})
WHERE """ + AUDIENCE + """
  AND coalesce(c.rfm_monetary_minor, 0) >= $min_spend
""" + ANSWER_CHANNEL + """
RETURN """ + CONTACT + """, answer_channel
ORDER BY spend_minor DESC, customer_id SKIP $skip LIMIT $limit
"""

BIRTHDAYS = """
MATCH (c:Customer) WHERE c.birthday IS NOT NULL AND c.birthday.month * 100 + c.birthday.day IN $month_days
AND """ + AUDIENCE + """
RETURN """ + CONTACT + """, c.birthday AS birthday
ORDER BY birthday.month, birthday.day, customer_id
"""

# Products aimed at a group: a whole word of the group (g.pattern, see words_pattern) in the product's name or any of
# its categories (upper case); products for pets ($pet_pattern) are aimed at no group.
GIFT_BUYERS = """
MATCH (o:Order {kind: 'purchase'}) WHERE o.placed_at >= $start AND o.placed_at < $end
MATCH (c:Customer)-[:PLACED]->(o)-[:CONTAINS]->(p:Product)
WITH c, p, [p.name] + [(p)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..]->(k:Category) | k.name] AS raw_names
WITH c, p, [name IN raw_names WHERE name IS NOT NULL | toUpper(toString(name))] AS names
WHERE none(name IN names WHERE name =~ $pet_pattern)
WITH c, p, [g IN $groups WHERE any(name IN names WHERE name =~ g.pattern)] AS aimed
WITH c, p, [g IN aimed WHERE
          (g.group = 'children' AND (toString(c.kids_count) = '0' OR c.household_comp CONTAINS 'No Kids'))
       OR (g.group = 'women' AND toLower(left(coalesce(c.gender, ''), 1)) = 'm')
       OR (g.group = 'men' AND toLower(left(coalesce(c.gender, ''), 1)) = 'f') | g.group] AS for_others
WHERE size(for_others) > 0
WITH c, collect(DISTINCT {product_id: p.product_id, name: p.name, aimed_at: for_others[0]}) AS gifts
WHERE """ + AUDIENCE + """
RETURN """ + CONTACT + """, gifts
ORDER BY size(gifts) DESC, customer_id SKIP $skip LIMIT $limit
"""

REPLENISHMENT_DUE = """
MATCH (c:Customer)-[r:REPLENISHES]->(p:Product) WHERE r.due_on >= $start AND r.due_on < $end
AND """ + AUDIENCE + """
RETURN """ + CONTACT + """, p.product_id AS product_id, p.name AS product_name, r.due_on AS due_on,
       r.interval_days AS interval_days, r.last_bought_on AS last_bought_on
ORDER BY due_on, customer_id, product_id SKIP $skip LIMIT $limit
"""

AT_RISK_CORE = """
MATCH (c:Customer {value_tier: 'core', lifecycle_stage: 'at_risk'})
WHERE """ + AUDIENCE + """
""" + ANSWER_CHANNEL + """
RETURN """ + CONTACT + """, answer_channel, c.previous_lifecycle_stage AS previous_stage
ORDER BY stage_since DESC, spend_minor DESC, customer_id SKIP $skip LIMIT $limit
"""

# Matched as whole words (MENS is not in WOMENS or MENSTRUAL), so the plurals meant are listed.
DEFAULT_GIFT_GROUPS: dict[str, list[str]] = {
    "children": ["TOY", "TOYS", "BABY", "BABIES", "INFANT", "INFANTS", "DIAPER", "DIAPERS", "KIDS", "CHILDREN",
                 "CHILDRENS"],
    "women": ["WOMEN", "WOMENS", "WOMEN'S", "LADIES", "FEMININE"],
    "men": ["MEN", "MENS", "MEN'S"],
}
PET_WORDS = ["PET", "PETS", "DOG", "DOGS", "CAT", "CATS", "PUPPY", "KITTEN"]


def _consent(purpose: str, medium: str | None, opt_in: bool, retailer_id: str | None) -> dict[str, Any]:
    return {"purpose": purpose, "medium": medium, "opt_in": opt_in, "retailer_id": retailer_id}


def words_pattern(words: list[str]) -> str:
    """A Cypher (Java) regular expression matching a text holding any of the words as a whole word, in upper case."""
    return r".*\b(?:" + "|".join(re.escape(w.upper()) for w in words) + r")\b.*"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.utc)


def _rows(records: list[Any]) -> list[dict[str, Any]]:
    return [{k: (v.to_native() if hasattr(v, "to_native") else v) for k, v in r.items()} for r in records]


def post_purchase_care(graph: Graph, *, start: date, end: date, product_ids: tuple[str, ...] = (),
                       category_ids: tuple[str, ...] = (), purpose: str = "marketing", medium: str | None = None,
                       opt_in: bool = False, retailer_id: str | None = None, skip: int = 0,
                       limit: int = 100) -> list[dict[str, Any]]:
    """Customers who bought any of the products, or anything in the categories, on days start..end-1."""
    return _rows(graph.read(POST_PURCHASE_CARE, start=_midnight(start), end=_midnight(end),
                            product_ids=list(product_ids), category_ids=list(category_ids), skip=skip, limit=limit,
                            **_consent(purpose, medium, opt_in, retailer_id)))


def dormant_worth_waking(graph: Graph, *, min_spend_minor: int = 0, purpose: str = "marketing",
                         medium: str | None = None, opt_in: bool = False, retailer_id: str | None = None,
                         skip: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Dormant customers, highest window spend first, with the channel they answer on."""
    return _rows(graph.read(DORMANT_WORTH_WAKING, min_spend=min_spend_minor, skip=skip, limit=limit,
                            **_consent(purpose, medium, opt_in, retailer_id)))


def month_days(start: date, days: int) -> list[int]:
    """month*100+day keys of the days start..start+days-1; 29 February joins 28 February in other years."""
    keys = []
    for n in range(days):
        d = start + timedelta(days=n)
        keys.append(d.month * 100 + d.day)
        if d.month == 2 and d.day == 28 and not _leap(d.year):
            keys.append(229)
    return keys


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def next_birthday(birthday: date, start: date) -> date:
    """The first birthday on or after `start` (28 February for 29 February in other years)."""
    for year in (start.year, start.year + 1):
        day = 28 if (birthday.month, birthday.day) == (2, 29) and not _leap(year) else birthday.day
        candidate = date(year, birthday.month, day)
        if candidate >= start:
            return candidate
    raise AssertionError("unreachable: a birthday recurs within a year")


def birthdays(graph: Graph, *, start: date, days: int, purpose: str = "marketing", medium: str | None = None,
              opt_in: bool = False, retailer_id: str | None = None) -> list[dict[str, Any]]:
    """Customers whose birthday falls on start..start+days-1, soonest first, with `next_birthday`."""
    rows = _rows(graph.read(BIRTHDAYS, month_days=month_days(start, max(min(days, 366), 0)),
                            **_consent(purpose, medium, opt_in, retailer_id)))
    for row in rows:
        row["next_birthday"] = next_birthday(row["birthday"], start)
    return sorted(rows, key=lambda r: (r["next_birthday"], r["customer_id"]))


def gift_buyers(graph: Graph, *, holiday: date, window_days: int = 42,
                groups: dict[str, list[str]] | None = None, purpose: str = "marketing", medium: str | None = None,
                opt_in: bool = False, retailer_id: str | None = None, skip: int = 0,
                limit: int = 100) -> list[dict[str, Any]]:
    """Customers who, in the `window_days` before `holiday`, bought products aimed at a group their own
    household is not in: children's products without children at home, women's products as a man, men's as a woman."""
    chosen = groups or DEFAULT_GIFT_GROUPS
    return _rows(graph.read(GIFT_BUYERS, start=_midnight(holiday - timedelta(days=window_days)),
                            end=_midnight(holiday), skip=skip, limit=limit,
                            groups=[{"group": g, "pattern": words_pattern(ws)} for g, ws in chosen.items() if ws],
                            pet_pattern=words_pattern(PET_WORDS),
                            **_consent(purpose, medium, opt_in, retailer_id)))


def replenishment_due(graph: Graph, *, start: date, days: int, purpose: str = "marketing",
                      medium: str | None = None, opt_in: bool = False, retailer_id: str | None = None,
                      skip: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """(customer, consumable) pairs due on start..start+days-1, by due date."""
    return _rows(graph.read(REPLENISHMENT_DUE, start=start, end=start + timedelta(days=days), skip=skip,
                            limit=limit, **_consent(purpose, medium, opt_in, retailer_id)))


def at_risk_core(graph: Graph, *, purpose: str = "marketing", medium: str | None = None, opt_in: bool = False,
                 retailer_id: str | None = None, skip: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Core-tier customers now at risk, most recently turned first, with their previous stage."""
    return _rows(graph.read(AT_RISK_CORE, skip=skip, limit=limit, **_consent(purpose, medium, opt_in, retailer_id)))
