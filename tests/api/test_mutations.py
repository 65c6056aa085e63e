"""Mutations: typed payloads, errors naming the input field, idempotency, and what changes in the graph."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from api.config import Role
from recsys import keys

EVENT = """mutation($input: EventInput!) { recordEvent(input: $input) {
  eventId created errors { code field message } } }"""
PURCHASE = """mutation($input: PurchaseInput!) { recordPurchase(input: $input) {
  orderId created errors { code field message } } }"""
REGISTER = """mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) {
  customer { id firstName contact { email phone } homeStore { id } identities { kind value channel }
             consents { purpose medium granted source } }
  errors { code field message } } }"""
LINK = """mutation($customer: ID!, $kind: IdentityKind!, $value: String!) {
  linkIdentity(customer: $customer, identity: {kind: $kind, value: $value}, channel: KIOSK) {
    customer { identities { kind value } } errors { code field message } } }"""
CONSENT = """mutation($granted: Boolean!) {
  updateConsent(customer: "C1", decision: {purpose: MARKETING, medium: EMAIL, granted: $granted}, channel: APP) {
    customer { consents { purpose medium granted source } } errors { code field } } }"""
OPEN_CASE = """mutation($input: OpenServiceCaseInput!) { openServiceCase(input: $input) {
  serviceCase { id subject status channel orderId notes { author text } } errors { code field message } } }"""
ADD_NOTE = """mutation($case: ID!, $status: String) { addServiceNote(case: $case, text: "Called back", status: $status) {
  serviceCase { id status notes { text } } errors { code field message } } }"""


def view(event_id: str = "W1", **extra: Any) -> dict[str, Any]:
    return {"eventId": event_id, "kind": "VIEW", "channel": "WEB", "customer": "C1", "product": "P2",
            "occurredAt": "2024-06-01T10:00:00+02:00", **extra}


def test_record_event_is_idempotent_and_streams_the_first_sighting(shop: Any, cache: Any, api: Any) -> None:
    first = api.query(EVENT, **api.identified(Role.WEB, "C1"), input=view())["data"]["recordEvent"]
    again = api.query(EVENT, **api.identified(Role.WEB, "C1"), input=view())["data"]["recordEvent"]
    assert first == {"eventId": "W1", "created": True, "errors": []}
    assert again == {"eventId": "W1", "created": False, "errors": []}
    assert cache.xlen(keys.event_stream()) == 1
    events = api.query('{ customer(id: "C1") { events(first: 1) { id kind occurredAt product { id } } } }')
    assert events["data"]["customer"]["events"] == [
        {"id": "W1", "kind": "view", "occurredAt": "2024-06-01T08:00:00+00:00", "product": {"id": "P2"}}]


def test_record_event_errors_name_each_bad_field(shop: Any, api: Any) -> None:
    bad = view(occurredAt="2024-06-01T10:00:00", product="nope", query="x" * 600)
    result = api.query(EVENT, **api.identified(Role.KIOSK, "C1"), input=bad)["data"]["recordEvent"]
    assert result["created"] is False and result["eventId"] is None
    assert {(e["code"], e["field"]) for e in result["errors"]} == {
        ("INVALID", "occurredAt"), ("NOT_FOUND", "product"), ("INVALID", "query")}


def test_a_time_ahead_of_the_server_clock_is_refused(shop: Any, api: Any) -> None:
    """A till or device with a wrong date must not put purchases and views years ahead (recency figures, offers)."""
    ahead = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    event = api.query(EVENT, **api.identified(Role.WEB, "C1"), input=view("W-ahead", occurredAt=ahead))
    event = event["data"]["recordEvent"]
    assert [(e["code"], e["field"]) for e in event["errors"]] == [("INVALID", "occurredAt")]
    assert "in the future" in event["errors"][0]["message"] and event["created"] is False
    basket = {"orderId": "X-ahead", "channel": "POS", "customer": "C3", "placedAt": "2030-01-01T00:00:00+00:00",
              "lines": [{"product": "P1", "quantity": 1, "amountMinor": 100}]}
    purchase = api.query(PURCHASE, role=Role.INTEGRATOR, input=basket)["data"]["recordPurchase"]
    assert [(e["code"], e["field"]) for e in purchase["errors"]] == [("INVALID", "placedAt")]
    skewed = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()     # a clock a little fast: fine
    skew = api.query(EVENT, **api.identified(Role.WEB, "C1"), input=view("W-skew", occurredAt=skewed))
    assert skew["data"]["recordEvent"]["created"]


def test_malformed_input_is_a_validation_error_naming_the_field(shop: Any, api: Any) -> None:
    result = api.query(EVENT, input={**view(), "kind": "TELEPORT"})
    assert result["data"] is None and "kind" in result["errors"][0]["message"]
    result = api.query(EVENT, input={**view(), "occurredAt": "yesterday"})
    assert "occurredAt" in result["errors"][0]["message"]


def test_record_purchase_adds_an_order_to_the_customer(shop: Any, api: Any) -> None:
    basket = {"orderId": "X1", "channel": "POS", "customer": "C3", "store": "S1",
              "placedAt": "2024-06-01T12:00:00+00:00",
              "lines": [{"product": "P1", "quantity": 2, "amountMinor": 300}, {"product": "P2", "quantity": 1,
                                                                               "amountMinor": 250}]}
    assert api.query(PURCHASE, role=Role.INTEGRATOR, input=basket)["data"]["recordPurchase"] == {
        "orderId": "X1", "created": True, "errors": []}
    assert api.query(PURCHASE, role=Role.INTEGRATOR, input=basket)["data"]["recordPurchase"]["created"] is False
    c = api.query('{ customer(id: "C3") { value { orderCount totalSpend { amountMinor } } '
                  'orders { nodes { id total { amountMinor } lines { quantity product { id } } } } } }')
    customer = c["data"]["customer"]
    assert customer["value"] == {"orderCount": 1, "totalSpend": {"amountMinor": 550}}
    assert customer["orders"]["nodes"][0]["lines"][0] == {"quantity": 2.0, "product": {"id": "P1"}}


def test_record_purchase_errors_name_the_line(shop: Any, api: Any) -> None:
    basket = {"orderId": "X2", "channel": "POS", "lines": [{"product": "P1", "quantity": 0, "amountMinor": 1},
                                                           {"product": "Q9", "quantity": 1, "amountMinor": 1}]}
    errors = api.query(PURCHASE, role=Role.ADMIN, input=basket)["data"]["recordPurchase"]["errors"]
    assert {(e["code"], e["field"]) for e in errors} == {("INVALID", "lines.0.quantity"), ("NOT_FOUND", "lines.1.product")}


def test_an_event_with_empty_references_is_refused_and_its_id_stays_free(shop: Any, api: Any) -> None:
    empty = {"eventId": "ev-empty", "kind": "VIEW", "channel": "WEB", "customer": "", "product": " ", "store": ""}
    refused = api.query(EVENT, role=Role.WEB, input=empty)["data"]["recordEvent"]
    assert (refused["created"], {(e["code"], e["field"]) for e in refused["errors"]}) == (
        False, {("INVALID", "customer"), ("INVALID", "product"), ("INVALID", "store")})
    real = {**empty, "customer": "C1", "product": "P1", "store": None}
    assert api.query(EVENT, **api.identified(Role.WEB, "C1"), input=real)["data"]["recordEvent"] == {
        "eventId": "ev-empty", "created": True, "errors": []}


def test_register_customer_at_a_kiosk(shop: Any, api: Any) -> None:
    new = {"channel": "KIOSK", "firstName": "Dana", "email": "Dana@Example.com", "phone": "+4670000009",
           "homeStore": "S1", "identities": [{"kind": "LOYALTY_CARD", "value": "900009"}],
           "consents": [{"purpose": "PERSONALISATION", "medium": "ANY", "granted": True}]}
    result = api.query(REGISTER, role=Role.SERVICE_DESK, input=new)["data"]["registerCustomer"]
    c = result["customer"]
    assert result["errors"] == [] and c["id"].startswith("C") and c["firstName"] == "Dana"
    assert c["contact"] == {"email": "dana@example.com", "phone": "+4670000009"} and c["homeStore"] == {"id": "S1"}
    assert {(i["kind"], i["value"], i["channel"]) for i in c["identities"]} == {
        ("LOYALTY_CARD", "900009", "KIOSK"), ("EMAIL", "dana@example.com", "KIOSK"), ("PHONE", "+4670000009", "KIOSK")}
    assert c["consents"] == [{"purpose": "PERSONALISATION", "medium": "ANY", "granted": True, "source": "kiosk"}]
    found = api.query('{ customerByIdentity(kind: LOYALTY_CARD, value: "900009") { id } }', role=Role.KIOSK)
    assert found["data"]["customerByIdentity"] == {"id": c["id"]}


def test_register_refuses_a_card_someone_holds_and_a_bad_email(shop: Any, api: Any) -> None:
    new = {"channel": "POS", "email": "nope", "identities": [{"kind": "LOYALTY_CARD", "value": "900001"}]}
    result = api.query(REGISTER, role=Role.KIOSK, input=new)["data"]["registerCustomer"]
    assert result["customer"] is None
    assert {(e["code"], e["field"]) for e in result["errors"]} == {("INVALID", "email"),
                                                                   ("CONFLICT", "identities.0.value")}


def test_register_names_the_field_holding_a_taken_identifier_and_checks_identity_emails(shop: Any, api: Any) -> None:
    new = {"channel": "WEB", "email": "ANNA@example.com", "identities": [{"kind": "EMAIL", "value": "nope"},
                                                                         {"kind": "LOYALTY_CARD", "value": "900001"}]}
    result = api.query(REGISTER, role=Role.WEB, input=new)["data"]["registerCustomer"]
    assert {(e["code"], e["field"]) for e in result["errors"]} == {
        ("CONFLICT", "email"), ("INVALID", "identities.0.value"), ("CONFLICT", "identities.1.value")}


def test_register_refuses_an_unknown_retailer_and_a_birthday_ahead(shop: Any, api: Any, graph: Any) -> None:
    before = graph.read("MATCH (c:Customer) RETURN count(c) AS n")[0]["n"]
    new = {"channel": "WEB", "firstName": "Eve", "retailerId": "nope", "birthday": "2999-01-01"}
    result = api.query(REGISTER, role=Role.INTEGRATOR, input=new)["data"]["registerCustomer"]
    assert result["customer"] is None
    assert {(e["code"], e["field"]) for e in result["errors"]} == {("NOT_FOUND", "retailerId"), ("INVALID", "birthday")}
    assert graph.read("MATCH (c:Customer) RETURN count(c) AS n")[0]["n"] == before


def test_phone_numbers_are_stored_in_one_spelling_and_one_without_digits_is_refused(shop: Any, api: Any) -> None:
    new = {"channel": "POS", "phone": "+46 (70) 111-22 33", "identities": [{"kind": "PHONE", "value": "none"}]}
    refused = api.query(REGISTER, role=Role.KIOSK, input=new)["data"]["registerCustomer"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", "identities.0.value")]
    c = api.query(REGISTER, role=Role.SERVICE_DESK, input={**new, "identities": []})["data"]["registerCustomer"]
    assert c["errors"] == [] and c["customer"]["contact"]["phone"] == "+46701112233"
    assert ("PHONE", "+46701112233") in {(i["kind"], i["value"]) for i in c["customer"]["identities"]}
    taken = api.query(LINK, customer="C3", kind="PHONE", value="+46 70 111 22 33")["data"]["linkIdentity"]
    assert [(e["code"], e["field"]) for e in taken["errors"]] == [("CONFLICT", "identity.value")]
    blank = api.query(LINK, customer="C3", kind="PHONE", value="--")["data"]["linkIdentity"]
    assert [(e["code"], e["field"]) for e in blank["errors"]] == [("INVALID", "identity.value")]


def test_link_identity_and_conflict(shop: Any, api: Any) -> None:
    linked = api.query(LINK, customer="C3", kind="WEB_ACCOUNT", value="cai-web")["data"]["linkIdentity"]
    assert linked["errors"] == [] and {"kind": "WEB_ACCOUNT", "value": "cai-web"} in linked["customer"]["identities"]
    taken = api.query(LINK, customer="C3", kind="LOYALTY_CARD", value="900001")["data"]["linkIdentity"]
    assert [(e["code"], e["field"]) for e in taken["errors"]] == [("CONFLICT", "identity.value")]
    missing = api.query(LINK, customer="C9", kind="PHONE", value="1")["data"]["linkIdentity"]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", "customer")]


def test_update_consent_newest_decision_wins(shop: Any, cache: Any, api: Any) -> None:
    result = api.query(CONSENT, **api.identified(Role.WEB, "C1"), granted=False)["data"]["updateConsent"]
    assert result["errors"] == []
    assert result["customer"]["consents"] == [{"purpose": "MARKETING", "medium": "EMAIL", "granted": False,
                                               "source": "app"}]
    assert cache.xlen(keys.event_stream()) == 1  # the offer worker is asked to recompute C1


def test_open_case_and_add_notes(shop: Any, api: Any) -> None:
    opened = api.query(OPEN_CASE, input={"customer": "C1", "subject": "Late delivery", "channel": "WEB",
                                         "order": "O002", "note": "Customer called"})["data"]["openServiceCase"]
    case = opened["serviceCase"]
    assert opened["errors"] == [] and case["status"] == "open" and case["orderId"] == "O002"
    assert case["notes"][0]["text"] == "Customer called" and case["notes"][0]["author"].startswith("service_desk:")
    noted = api.query(ADD_NOTE, case=case["id"], status="closed")["data"]["addServiceNote"]
    assert noted["serviceCase"]["status"] == "closed"
    assert [n["text"] for n in noted["serviceCase"]["notes"]] == ["Customer called", "Called back"]
    bad = api.query(ADD_NOTE, case="K404", status="done")["data"]["addServiceNote"]["errors"]
    assert {(e["code"], e["field"]) for e in bad} == {("INVALID", "status"), ("NOT_FOUND", "case")}


def test_open_case_errors_name_the_field(shop: Any, api: Any) -> None:
    result = api.query(OPEN_CASE, input={"customer": "C9", "subject": " ", "channel": "WEB", "order": "O999"})
    errors = result["data"]["openServiceCase"]["errors"]
    assert {(e["code"], e["field"]) for e in errors} == {("INVALID", "subject"), ("NOT_FOUND", "customer"),
                                                         ("NOT_FOUND", "order")}


def test_a_case_cannot_be_about_another_customers_order(shop: Any, api: Any) -> None:
    taken = api.query(OPEN_CASE, input={"customer": "C2", "subject": "Refund", "channel": "WEB", "order": "O002"})
    assert [(e["code"], e["field"]) for e in taken["data"]["openServiceCase"]["errors"]] == [("CONFLICT", "order")]


def test_moments_read_back_in_utc_to_the_microsecond(shop: Any, api: Any) -> None:
    # given a purchase and a view written with an offset and microseconds
    basket = {"orderId": "X8", "channel": "WEB", "customer": "C3", "placedAt": "2024-06-02T12:00:00.123456+02:00",
              "lines": [{"product": "P1", "quantity": 1, "amountMinor": 150}]}
    assert api.query(PURCHASE, role=Role.INTEGRATOR, input=basket)["data"]["recordPurchase"]["created"] is True
    event = view("W8", customer="C3", occurredAt="2024-06-03T00:30:00.000001+01:00")
    assert api.query(EVENT, **api.identified(Role.WEB, "C3"), input=event)["data"]["recordEvent"]["created"] is True
    # when
    c = api.query('{ customer(id: "C3") { value { firstPurchaseAt lastPurchaseAt } orders { nodes { placedAt } } '
                  'events(first: 1) { occurredAt } timeline(first: 2) { at kind } } }')["data"]["customer"]
    # then every moment of the profile is the instant written, in UTC, microseconds kept
    placed, viewed = "2024-06-02T10:00:00.123456+00:00", "2024-06-02T23:30:00.000001+00:00"
    assert c["value"] == {"firstPurchaseAt": placed, "lastPurchaseAt": placed}
    assert c["orders"]["nodes"] == [{"placedAt": placed}] and c["events"] == [{"occurredAt": viewed}]
    assert c["timeline"] == [{"at": viewed, "kind": "view"}, {"at": placed, "kind": "purchase"}]


def test_a_recorded_purchase_shows_once_on_the_timeline(shop: Any, api: Any) -> None:
    basket = {"orderId": "X7", "channel": "WEB", "customer": "C3", "placedAt": "2024-06-02T12:00:00+00:00",
              "lines": [{"product": "P1", "quantity": 1, "amountMinor": 150}]}
    assert api.query(PURCHASE, role=Role.INTEGRATOR, input=basket)["data"]["recordPurchase"]["created"] is True
    timeline = api.query('{ customer(id: "C3") { timeline(first: 5) { kind reference } } }')
    references = [t["reference"] for t in timeline["data"]["customer"]["timeline"]]
    assert references.count("X7") == 1 and not any("X7" in r and r != "X7" for r in references)
