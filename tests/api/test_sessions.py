"""Customer sessions: a web or kiosk key names by id only the customer it identified (card scan, registration)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from itsdangerous import TimestampSigner

from api.config import Role
from recsys import customer_history, keys
from tests.api.conftest import KEYS

K, W = Role.KIOSK, Role.WEB
SCAN = """query($card: String!) { customerByIdentity(kind: LOYALTY_CARD, value: $card) { id customerSession } }"""
PROFILE = 'query($id: ID!) { customer(id: $id) { id firstName } }'
OFFERS = 'query($id: ID!) { nextBestOffers(customer: $id) { customerId } }'
EVENT = """mutation($customer: ID!, $event: ID!) { recordEvent(input: {eventId: $event, kind: VIEW, channel: KIOSK,
  customer: $customer, product: "P2"}) { created errors { code field message } } }"""
CONSENT = """mutation($customer: ID!) { updateConsent(customer: $customer, decision: {purpose: MARKETING, medium: SMS,
  granted: true}, channel: KIOSK) { customer { id } errors { code field message } } }"""
LINK = """mutation($customer: ID!) { linkIdentity(customer: $customer, identity: {kind: EMAIL, value: "x@example.com"},
  channel: KIOSK) { customer { id } errors { code field message } } }"""
EVENTS_OF = 'query($id: ID!) { customer(id: $id) { events(first: 200) { id } identities { value } } }'


def scan(api: Any, card: str, role: Role = K) -> str:
    found = api.query(SCAN, role=role, card=card)["data"]["customerByIdentity"]
    assert found["customerSession"], found
    return str(found["customerSession"])


def refusal(result: dict[str, Any]) -> tuple[str, str]:
    [error] = result["errors"]
    return error["extensions"]["code"], error["message"]


def test_a_kiosk_acts_by_id_on_the_customer_whose_card_it_scanned(shop: Any, api: Any) -> None:
    session = scan(api, "900001")                       # C1's card
    assert api.query(PROFILE, role=K, session=session, id="C1")["data"]["customer"] == {"id": "C1",
                                                                                         "firstName": "Anna"}
    assert api.query(OFFERS, role=K, session=session, id="C1")["data"]["nextBestOffers"]["customerId"] == "C1"
    assert api.query(EVENT, role=K, session=session, customer="C1", event="k-1")["data"]["recordEvent"] == {
        "created": True, "errors": []}
    assert api.query(CONSENT, role=K, session=session, customer="C1")["data"]["updateConsent"]["errors"] == []
    assert api.query(LINK, role=K, session=session, customer="C1")["data"]["linkIdentity"]["errors"] == []


def test_a_kiosk_cannot_name_another_customer_and_nothing_is_written_for_them(shop: Any, api: Any) -> None:
    session = scan(api, "900001")                       # C1's card, then C2's id
    profile = api.query(PROFILE, role=K, session=session, id="C2")
    assert profile["data"] == {"customer": None}
    code, message = refusal(profile)
    assert code == "FORBIDDEN" and "another customer" in message and "X-Customer-Session" in message
    assert refusal(api.query(OFFERS, role=K, session=session, id="C2"))[0] == "FORBIDDEN"
    for document, name in ((EVENT, "recordEvent"), (CONSENT, "updateConsent"), (LINK, "linkIdentity")):
        payload = api.query(document, role=K, session=session, customer="C2", event="k-2")["data"][name]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", "customer")], name
    c2 = api.query(EVENTS_OF, id="C2")["data"]["customer"]        # the service desk sees no trace of them
    assert "k-2" not in {e["id"] for e in c2["events"]} and "x@example.com" not in {i["value"] for i in
                                                                                    c2["identities"]}
    consents = api.query('{ customer(id: "C2") { consents { medium } } }')["data"]["customer"]["consents"]
    assert "SMS" not in {c["medium"] for c in consents}


def test_without_a_session_an_id_is_refused_whether_or_not_the_customer_exists(shop: Any, api: Any) -> None:
    for role in (K, W):
        for customer_id in ("C1", "C404"):
            code, message = refusal(api.query(PROFILE, role=role, id=customer_id))
            assert code == "FORBIDDEN" and "no X-Customer-Session sent" in message and role.value in message
    anonymous = """mutation { recordEvent(input: {eventId: "anon-1", kind: VIEW, channel: WEB, product: "P2"}) {
      created errors { code } } }"""
    assert api.query(anonymous, role=W)["data"]["recordEvent"] == {"created": True, "errors": []}


@pytest.mark.parametrize("role", [Role.SERVICE_DESK, Role.INTEGRATOR, Role.ADMIN], ids=lambda r: r.value)
def test_other_roles_need_no_session_and_get_none(shop: Any, api: Any, cache: Any, role: Role) -> None:
    before = identified(cache)
    found = api.query('{ customer(id: "C2") { id customerSession } }', role=role)
    assert found == {"data": {"customer": {"id": "C2", "customerSession": None}}}
    assert identified(cache) == before                  # nobody is at a kiosk or signed in: nothing to prepare


@pytest.mark.parametrize("role", [K, W], ids=lambda r: r.value)
def test_a_session_tells_the_workers_to_prepare_the_customers_history(shop: Any, api: Any, cache: Any,
                                                                      role: Role) -> None:
    before = identified(cache)
    scan(api, "900001", role)
    assert identified(cache) == before + ["C1"]


def identified(cache: Any) -> list[str]:
    """Customers named by `identified` entries of the event stream, oldest first."""
    entries = cache.xrange(keys.event_stream())
    return [f[b"customer_id"].decode() for _, f in entries if f.get(b"kind") == customer_history.IDENTIFIED.encode()]


def test_a_session_belongs_to_the_key_that_identified_the_customer_and_expires(
        shop: Any, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    web_session = scan(api, "900001", role=W)
    assert "another API key" in refusal(api.query(PROFILE, role=K, session=web_session, id="C1"))[1]
    assert "not one this API issued" in refusal(api.query(PROFILE, role=K, session="forged.token", id="C1"))[1]
    tampered = web_session.replace(web_session.split(".")[0], web_session.split(".")[0][::-1])
    assert "not one this API issued" in refusal(api.query(PROFILE, role=W, session=tampered, id="C1"))[1]
    # a session issued 31 minutes ago (the default lifetime is 30)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 31 * 60)
    old = scan(api, "900001")
    monkeypatch.undo()
    assert "older than 30 minutes" in refusal(api.query(PROFILE, role=K, session=old, id="C1"))[1]


def test_a_customer_registered_at_a_kiosk_comes_with_a_session(shop: Any, api: Any) -> None:
    register = """mutation { registerCustomer(input: {channel: KIOSK, firstName: "Dana",
      identities: [{kind: LOYALTY_CARD, value: "900009"}]}) { customer { id customerSession } errors { code } } }"""
    new = api.query(register, role=K)["data"]["registerCustomer"]["customer"]
    profile = api.query(PROFILE, role=K, session=new["customerSession"], id=new["id"])
    assert profile["data"]["customer"] == {"id": new["id"], "firstName": "Dana"}


def test_a_subscription_needs_the_customer_session_too(shop: Any, api: Any) -> None:
    subscribe = 'subscription { nextBestOffersChanged(customer: "C1") { customerId } }'
    for payload, expected in (({"apiKey": KEYS[K]}, "FORBIDDEN"),
                              ({"apiKey": KEYS[K], "customerSession": scan(api, "900001")}, None)):
        with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": payload})
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": subscribe}})
            message = ws.receive_json()
            ws.send_json({"id": "1", "type": "complete"})
        if expected:
            assert message["payload"]["errors"][0]["extensions"]["code"] == expected, message
        else:
            assert message["payload"]["data"]["nextBestOffersChanged"]["customerId"] == "C1", message
