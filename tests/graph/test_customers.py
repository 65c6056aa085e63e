"""Linking identities: an identifier is never held by two customers, even when two links race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from graph.customers import IdentityHeld, link_identities, register_customer, upsert_customers
from graph.driver import Graph

ROUNDS = 20


def customer(customer_id: str) -> dict[str, object]:
    return {"customer_id": customer_id, "retailer_id": "r1", "home_store_id": None, "region_id": None,
            "props": {"first_name": customer_id}}


def card(customer_id: str, value: str) -> dict[str, object]:
    return {"customer_id": customer_id, "kind": "loyalty_card", "value": value, "channel_id": "pos",
            "since": datetime(2024, 1, 1, tzinfo=UTC)}


def holders(graph: Graph, value: str) -> list[str]:
    return [r["id"] for r in graph.read("MATCH (:Identity {value: $v})<-[:HAS_IDENTITY]-(c) RETURN c.customer_id AS id",
                                        v=value)]


def test_two_customers_linking_one_card_at_once_end_with_one_holder(graph: Graph) -> None:
    upsert_customers(graph, [customer("a"), customer("b")])
    # the identity nodes exist already without a holder (as after an unmerge), so no index lock serialises the links
    graph.write("UNWIND range(1, $n) AS k CREATE (:Identity {identity_key: 'r1:loyalty_card:' + k, "
                "kind: 'loyalty_card', value: toString(k), retailer_id: 'r1'})", n=ROUNDS)

    def link(customer_id: str, value: str) -> str | None:
        try:
            link_identities(graph, [card(customer_id, value)])
            return customer_id
        except IdentityHeld:
            return None

    with ThreadPoolExecutor(2) as pool:
        for k in range(1, ROUNDS + 1):
            linked = [f.result() for f in [pool.submit(link, c, str(k)) for c in ("a", "b")]]
            assert len([c for c in linked if c]) == 1 and holders(graph, str(k)) == [c for c in linked if c]


def test_a_registration_with_a_held_card_writes_nothing(graph: Graph) -> None:
    upsert_customers(graph, [customer("a")])
    link_identities(graph, [card("a", "77")])

    with pytest.raises(IdentityHeld) as held:
        register_customer(graph, customer("new"), [card("new", "77")], [])

    assert held.value.holders == {("loyalty_card", "77"): "a"}
    assert graph.read("MATCH (c:Customer {customer_id: 'new'}) RETURN count(c) AS n")[0]["n"] == 0
    assert holders(graph, "77") == ["a"]
