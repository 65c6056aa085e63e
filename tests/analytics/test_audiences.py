"""Every audience on one small hand-built shop, with consent withdrawn by some of its customers."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from analytics import recompute
from graph import audiences
from graph.driver import Graph

AS_OF = datetime(2024, 6, 30, 18, tzinfo=timezone.utc)
TODAY = AS_OF.date()


def back(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def playbook_shop(graph: Graph, shop: Any) -> Graph:
    """ann..joe: who bought what, when, with which consent (see each line)."""
    shop.customer("ann", birthday="1990-07-03", kids_count="0", household_comp="2 Adults No Kids")
    shop.consent("ann", "marketing", "email", True)
    shop.order("ann", back(20), "4.00", products=("cheese",))             # dairy, in June
    shop.order("ann", date(2023, 12, 10), "20.00", products=("teddy",))   # a toy before Christmas, no kids
    shop.customer("bob", birthday="1985-07-01", kids_count="0")
    shop.consent("bob", "marketing", "any", False)                        # withdrew all marketing
    shop.order("bob", back(18), "2.00", products=("milk",))
    shop.order("bob", date(2023, 12, 12), "20.00", products=("teddy",))
    shop.customer("cid", kids_count="2", birthday="2000-08-30")           # has kids: a toy is no gift
    shop.order("cid", back(19), "2.00", products=("bread",))
    shop.order("cid", date(2023, 12, 11), "20.00", products=("teddy",))
    shop.customer("dan", birthday="1970-07-02")
    shop.consent("dan", "marketing", "sms", False)                        # withdrew sms only
    shop.order("dan", back(17), "3.00", products=("cheese",))
    shop.customer("eve", preferred_channel="web")                         # dormant, high spend
    shop.customer("fay")                                                  # dormant, low spend
    shop.customer("gus")                                                  # dormant, but withdrew
    shop.consent("gus", "marketing", "any", False)
    for name, amount in (("eve", "90.00"), ("fay", "10.00"), ("gus", "95.00")):
        for k in range(6):
            shop.order(name, back(160 + 30 * k), amount)
    shop.customer("ivy")                                                  # weekly big spender, silent 4 weeks
    for k in range(20):
        shop.order("ivy", back(28 + 7 * k), "80.00")
    shop.customer("joe")                                                  # milk every 5 days
    for n in (1, 6, 11, 16):
        shop.order("joe", back(n), "1.00", products=("milk",))
    shop.load(graph)
    recompute(graph, as_of=AS_OF)
    return graph


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["customer_id"] for r in rows]


def test_post_purchase_care_finds_buyers_of_a_category_and_keeps_consent(playbook_shop: Graph) -> None:
    rows = audiences.post_purchase_care(playbook_shop, start=back(25), end=TODAY, category_ids=("dairy",))
    assert ids(rows) == ["ann", "joe"]              # bob withdrew, cid bought bread, dan withdrew sms
    assert rows[0]["products"][0]["product_id"] == "cheese" and rows[0]["granted_media"] == ["email"]
    by_email = audiences.post_purchase_care(playbook_shop, start=back(25), end=TODAY, category_ids=("dairy",),
                                            medium="email")
    assert ids(by_email) == ["ann", "dan", "joe"]   # bob stays out: he withdrew for every medium
    by_product = audiences.post_purchase_care(playbook_shop, start=back(25), end=TODAY, product_ids=("milk",))
    assert ids(by_product) == ["joe"]
    opted_in = audiences.post_purchase_care(playbook_shop, start=back(25), end=TODAY, category_ids=("food",),
                                            opt_in=True)
    assert ids(opted_in) == ["ann"]


def test_dormant_worth_waking_ranks_by_past_value_with_their_channel(playbook_shop: Graph) -> None:
    rows = audiences.dormant_worth_waking(playbook_shop)
    assert [(r["customer_id"], r["answer_channel"]) for r in rows] == [("eve", "web"), ("fay", "pos")]
    # window spend: eve 6 x 90.00, fay 6 x 10.00
    assert ids(audiences.dormant_worth_waking(playbook_shop, min_spend_minor=54_000)) == ["eve"]
    assert audiences.dormant_worth_waking(playbook_shop, min_spend_minor=54_001) == []
    assert ids(audiences.dormant_worth_waking(playbook_shop, purpose="personalisation")) == ["gus", "eve", "fay"]


def test_birthdays_in_the_coming_days(playbook_shop: Graph) -> None:
    rows = audiences.birthdays(playbook_shop, start=TODAY, days=4, medium="email")
    assert [(r["customer_id"], r["next_birthday"]) for r in rows] == [("dan", date(2024, 7, 2)),
                                                                     ("ann", date(2024, 7, 3))]


def test_gift_buyers_bought_for_a_group_outside_their_household_before_the_holiday(playbook_shop: Graph) -> None:
    rows = audiences.gift_buyers(playbook_shop, holiday=date(2023, 12, 25), window_days=30)
    assert ids(rows) == ["ann"]
    assert rows[0]["gifts"] == [{"product_id": "teddy", "name": "Teddy", "aimed_at": "children"}]
    assert audiences.gift_buyers(playbook_shop, holiday=date(2023, 12, 10), window_days=30) == []


def test_gift_words_match_whole_words_and_pet_toys_are_for_no_child(graph: Graph, shop: Any) -> None:
    shop.add("categories", category_id="care", name="HEALTH AND BEAUTY", level="department")
    shop.add("categories", category_id="pets", name="PET CARE SUPPLIES", level="department")
    for product_id, name in (("spray", "WOMENS  HAIR SPRAYS"), ("pills", "MENSTRUAL ANALGESICS"),
                             ("cologne", "MENS SKIN CARE/COLOGNE")):
        shop.product(product_id, "care", consumable=False, name=name)
    shop.product("ball", "pets", consumable=False, name="DOG & CAT TOYS")
    shop.customer("fia", gender="F", kids_count="0")
    shop.customer("max", gender="M", kids_count="2")
    shop.order("fia", date(2023, 12, 10), "9.00", products=("spray", "pills", "ball", "cologne"))
    shop.order("max", date(2023, 12, 10), "9.00", products=("spray",))
    shop.load(graph)
    rows = audiences.gift_buyers(graph, holiday=date(2023, 12, 25), window_days=30)
    assert {r["customer_id"]: r["gifts"] for r in rows} == {
        "fia": [{"product_id": "cologne", "name": "MENS SKIN CARE/COLOGNE", "aimed_at": "men"}],
        "max": [{"product_id": "spray", "name": "WOMENS  HAIR SPRAYS", "aimed_at": "women"}]}


def test_the_latest_consent_of_the_medium_and_any_decides(graph: Graph, shop: Any) -> None:
    """kim withdrew all marketing, then granted email; lou granted all, then withdrew email; mia the other way."""
    for name in ("kim", "lou", "mia"):
        shop.customer(name, birthday="1990-07-01")
    for name, first, then in (("kim", ("any", False), ("email", True)), ("lou", ("any", True), ("email", False)),
                              ("mia", ("email", False), ("any", True))):
        shop.consent(name, "marketing", *first, on=date(2024, 1, 1))
        shop.consent(name, "marketing", *then, on=date(2024, 3, 1))
    shop.load(graph)
    reached = {m: ids(audiences.birthdays(graph, start=TODAY, days=7, medium=m)) for m in ("email", "sms", None)}
    assert reached == {"email": ["kim", "mia"], "sms": ["lou", "mia"], None: ["mia"]}  # None: any medium counts
    assert ids(audiences.birthdays(graph, start=TODAY, days=7, medium="email", opt_in=True)) == ["kim", "mia"]


def test_replenishment_due_names_product_and_due_date(playbook_shop: Graph) -> None:
    rows = audiences.replenishment_due(playbook_shop, start=TODAY, days=7)
    assert [(r["customer_id"], r["product_id"], r["due_on"]) for r in rows] == [
        ("joe", "milk", TODAY + timedelta(days=4))]
    assert (rows[0]["last_purchase_on"], rows[0]["stage_since"]) == (back(1), TODAY)
    assert audiences.replenishment_due(playbook_shop, start=TODAY, days=3) == []


def test_at_risk_core_customers(playbook_shop: Graph) -> None:
    rows = audiences.at_risk_core(playbook_shop)
    assert [(r["customer_id"], r["previous_stage"], r["stage_since"]) for r in rows] == [("ivy", None, TODAY)]
