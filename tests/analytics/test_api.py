"""Analytics in the API: figures on Customer, audiences and segments with roles and consent."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.testclient import TestClient

from analytics import recompute
from api.app import create_app
from api.config import ApiConfig, Role, hash_key
from api.permissions import authenticate
from c360.connect import Targets
from graph.driver import Graph

AS_OF = datetime(2024, 6, 30, 18, tzinfo=timezone.utc)
TODAY = AS_OF.date()
KEYS = {role: f"analytics-key-{role.value}" for role in Role}


def back(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def figured(graph: Graph, shop: Any) -> Graph:
    """Weekly big spender ivy (silent 4 weeks: at risk), dormant eve and gus (gus withdrew marketing), milk buyer joe,
    eight regular shoppers f0..f7."""
    shop.customer("ivy", first_name="Ivy", last_name="Stone", email="ivy@example.com", age_band="35-44")
    for k in range(20):
        shop.order("ivy", back(28 + 7 * k), "80.00")
    for name in ("eve", "gus"):
        shop.customer(name, first_name=name.title(), email=f"{name}@example.com", age_band="35-44")
        for k in range(6):
            shop.order(name, back(160 + 30 * k), "90.00")
    shop.consent("gus", "marketing", "any", False)
    shop.customer("joe", first_name="Joe", age_band="18-24")
    for n in (1, 6, 11, 16):
        shop.order("joe", back(n), "1.00", products=("milk",))
    for i in range(8):                                   # enough buyers for BG/NBD to be fitted
        shop.customer(f"f{i}", age_band="55-64")
        for k in range(3):
            shop.order(f"f{i}", back(2 + i + 12 * k), "5.00", products=("teddy",))
    shop.load(graph)
    recompute(graph, as_of=AS_OF)
    return graph


@pytest.fixture
def api(targets: Targets, cache: Any, figured: Graph) -> Iterator[Any]:
    config = ApiConfig(neo4j_uri=targets.neo4j_uri, neo4j_user=targets.neo4j_user,
                       neo4j_password=targets.neo4j_password, neo4j_database=targets.neo4j_database,
                       redis_url=targets.redis_url, key_hashes={hash_key(k): r for r, k in KEYS.items()})
    with TestClient(create_app(config)) as client:
        def query(document: str, role: Role = Role.SERVICE_DESK, identified: str | None = None,
                  **variables: Any) -> dict[str, Any]:
            """`identified`: send the customer session a web or kiosk key gets on identifying that customer."""
            headers = {"Authorization": f"Bearer {KEYS[role]}"}
            services = client.app.state.services  # type: ignore[attr-defined]
            caller = authenticate(KEYS[role], services.key_hashes)
            session = services.sessions.issue(identified, caller) if identified and caller else None
            headers |= {"X-Customer-Session": session} if session else {}
            response = client.post("/graphql", json={"query": document, "variables": variables}, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]
        yield query


CUSTOMER = """query($id: ID!) { customer(id: $id) {
  rfm { r f m segment frequency monetary { amountMinor } } valueTier lifecycleStage churnProbability
  predictedValue { expectedPurchases horizonDays } replenishmentDue { productId dueOn intervalDays }
} }"""
SEGMENTS_OF = 'query($id: ID!) { customer(id: $id) { id segments { name } } }'


def test_customer_shows_where_they_stand(api: Any) -> None:
    ivy = api(CUSTOMER, Role.WEB, identified="ivy", id="ivy")["data"]["customer"]
    assert (ivy["valueTier"], ivy["lifecycleStage"], ivy["rfm"]["frequency"]) == ("CORE", "AT_RISK", 20)
    assert ivy["rfm"]["monetary"]["amountMinor"] == 160_000 and ivy["predictedValue"]["horizonDays"] == 90
    assert 0 <= ivy["churnProbability"] <= 1 and api(SEGMENTS_OF, id="ivy")["data"]["customer"]["segments"] == []
    assert ivy["replenishmentDue"] == [{"productId": "bread", "dueOn": str(back(21)), "intervalDays": 7.0}]
    joe = api(CUSTOMER, Role.WEB, identified="joe", id="joe")["data"]["customer"]
    assert joe["replenishmentDue"] == [{"productId": "milk", "dueOn": str(TODAY + timedelta(days=4)),
                                        "intervalDays": 5.0}]


DORMANT = "{ dormantWorthWaking { nodes { id answerChannel customer { contact { email } } } hasMore } }"


def test_audiences_need_a_service_desk_integrator_or_admin_role(api: Any) -> None:
    for role in Role:
        got = api(DORMANT, role)
        if role in (Role.SERVICE_DESK, Role.INTEGRATOR, Role.ADMIN):
            assert "errors" not in got, got
            assert got["data"]["dormantWorthWaking"]["nodes"] == [
                {"id": "eve", "answerChannel": "POS", "customer": {"contact": {"email": "eve@example.com"}}}]
        else:
            assert got["errors"][0]["extensions"]["code"] == "FORBIDDEN", role


def test_audiences_keep_out_who_withdrew_for_the_purpose(api: Any) -> None:
    by_purpose = {p: [n["id"] for n in api(f"{{ dormantWorthWaking(purpose: {p}) {{ nodes {{ id }} }} }}")
                      ["data"]["dormantWorthWaking"]["nodes"]] for p in ("MARKETING", "PROFILING")}
    assert by_purpose == {"MARKETING": ["eve"], "PROFILING": ["eve", "gus"]}  # equal spend: by id
    core = api("{ atRiskCore { nodes { id previousStage stageSince } } }")["data"]["atRiskCore"]["nodes"]
    assert core == [{"id": "ivy", "previousStage": None, "stageSince": str(TODAY)}]
    due = api(f'{{ replenishmentDue(from: "{TODAY}", days: 7) {{ nodes {{ id dueOn products {{ productId }} }} }} }}')
    assert due["data"]["replenishmentDue"]["nodes"] == [
        {"id": "joe", "dueOn": str(TODAY + timedelta(days=4)), "products": [{"productId": "milk"}]}]
    care = api(f'{{ postPurchaseCare(since: "{back(30)}", until: "{TODAY}", categories: ["dairy"]) '
               '{ nodes { id products { productId } } } }')
    assert care["data"]["postPurchaseCare"]["nodes"] == [{"id": "joe", "products": [{"productId": "milk"}]}]


def test_audience_members_carry_their_last_purchase_and_stage_since(api: Any) -> None:
    due = api(f'{{ replenishmentDue(from: "{TODAY}", days: 7) {{ nodes {{ id lastPurchaseOn stageSince }} }} }}')
    assert due["data"]["replenishmentDue"]["nodes"] == [{"id": "joe", "lastPurchaseOn": str(back(1)),
                                                         "stageSince": str(TODAY)}]
    dormant = api("{ dormantWorthWaking { nodes { id lastPurchaseOn stageSince } } }")["data"]["dormantWorthWaking"]
    assert dormant["nodes"] == [{"id": "eve", "lastPurchaseOn": str(back(160)), "stageSince": str(TODAY)}]


def test_audience_windows_off_the_calendar_are_refused_naming_the_argument(api: Any) -> None:
    refused = {'giftBuyers(holiday: "2017-12-25", windowDays: 400)': "windowDays",
               'giftBuyers(holiday: "0001-01-10")': "holiday",
               'birthdays(from: "9999-12-31", days: 5)': "from",
               'replenishmentDue(from: "9999-12-31", days: 5)': "from"}
    for call, field in refused.items():
        error = api(f"{{ {call} {{ offset }} }}")["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, (call, error)
        assert error["message"].startswith(f"{field} must be"), (call, error)
    assert api('{ giftBuyers(holiday: "0001-02-12") { offset } }')["data"]["giftBuyers"]["offset"] == 0


SEGMENT = "id name memberCount filter { ageBands tiers }"


def test_segments_are_saved_counted_listed_exported_and_deleted(api: Any) -> None:
    preview = api('{ previewSegment(filter: {ageBands: ["35-44"]}) { count sample { id } } }')["data"]
    assert preview["previewSegment"] == {"count": 3, "sample": [{"id": "eve"}, {"id": "ivy"}]}  # gus withdrew
    created = api(f'mutation {{ createSegment(name: "Mid", filter: {{ageBands: ["35-44"]}}) '
                  f'{{ segment {{ {SEGMENT} }} errors {{ field }} }} }}')["data"]["createSegment"]
    segment = created["segment"]
    assert (segment["name"], segment["memberCount"], created["errors"]) == ("Mid", 3, [])
    page = api('query($id: ID!) { segmentMembers(id: $id, first: 1) { nodes { id } endCursor hasNextPage } }',
               id=segment["id"])["data"]["segmentMembers"]
    assert (page["nodes"], page["hasNextPage"], bool(page["endCursor"])) == ([{"id": "eve"}], True, True)
    csv_text = api('query($id: ID!) { segmentCsv(id: $id) }', id=segment["id"])["data"]["segmentCsv"]
    assert csv_text.splitlines()[0].startswith("customer_id,retailer_id,first_name,last_name,email")
    assert [line.split(",")[0] for line in csv_text.splitlines()[1:]] == ["eve", "ivy"]
    assert "ivy,r1,Ivy,Stone,,," in csv_text        # no consent recorded: no contact
    updated = api(f'mutation($id: ID!) {{ updateSegment(id: $id, filter: {{tiers: [CORE]}}) {{ segment {{ {SEGMENT} }} '
                  '} }', id=segment["id"])["data"]["updateSegment"]["segment"]
    assert (updated["name"], updated["memberCount"], updated["filter"]["tiers"]) == ("Mid", 3, ["CORE"])
    assert [s["name"] for s in api("{ segments { name } }")["data"]["segments"]] == ["Mid"]
    assert api(SEGMENTS_OF, id="ivy")["data"]["customer"]["segments"] == [{"name": "Mid"}]
    deleted = api('mutation($id: ID!) { deleteSegment(id: $id) { deleted } }', id=segment["id"])
    assert deleted["data"]["deleteSegment"]["deleted"] is True
    assert api('query($id: ID!) { segment(id: $id) { id } }', id=segment["id"])["data"]["segment"] is None


def test_a_bad_segment_is_refused_with_the_field(api: Any) -> None:
    got = api('mutation { createSegment(name: " ", filter: {spendMinMinor: 5, spendMaxMinor: 1}) '
              '{ segment { id } errors { field } } }')["data"]["createSegment"]
    assert got == {"segment": None, "errors": [{"field": "name"}, {"field": "filter.spendMinMinor"}]}
    assert api('{ segments { id } }', Role.KIOSK)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_customers_segments_are_personal_data(api: Any) -> None:
    api('mutation { createSegment(name: "Women 35-44", filter: {ageBands: ["35-44"]}) { errors { field } } }')
    for role in (Role.WEB, Role.KIOSK):
        got = api(SEGMENTS_OF, role, identified="ivy", id="ivy")
        assert got["data"]["customer"] == {"id": "ivy", "segments": None}, role
        assert [e["extensions"]["code"] for e in got["errors"]] == ["FORBIDDEN"], role
    assert api(SEGMENTS_OF, id="ivy")["data"]["customer"]["segments"] == [{"name": "Women 35-44"}]
    log = api('{ auditLog(customer: "ivy") { fields } }', Role.ADMIN)["data"]["auditLog"]
    assert ["segments"] in [entry["fields"] for entry in log]


def test_segment_members_refuse_a_cursor_they_did_not_give(api: Any) -> None:
    created = api('mutation { createSegment(name: "Mid", filter: {ageBands: ["35-44"]}) { segment { id } } }')
    members = 'query($id: ID!, $after: String) { segmentMembers(id: $id, first: 1, after: $after) ' \
              '{ nodes { id } endCursor } }'
    segment_id = created["data"]["createSegment"]["segment"]["id"]
    first = api(members, id=segment_id)["data"]["segmentMembers"]
    second = api(members, id=segment_id, after=first["endCursor"])["data"]["segmentMembers"]
    assert [first["nodes"], second["nodes"]] == [[{"id": "eve"}], [{"id": "ivy"}]]
    for bad in ("!!notacursor", "eve", base64.urlsafe_b64encode(b"eve").decode()):
        error = api(members, id=segment_id, after=bad)["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}, bad


def test_segment_csv_holds_the_contacts_each_customer_may_be_reached_on(api: Any, shop: Any, figured: Graph) -> None:
    # given tagged customers: one granted sms, one withdrew e-mail but granted sms, one named like a formula
    shop.customer("s1", first_name="Sam", email="sam@example.com", phone="+15550001", tags="camp")
    shop.customer("s2", first_name="Sue", email="sue@example.com", phone="+15550002", tags="camp")
    shop.customer("s3", first_name='=HYPERLINK("http://x")', email="x@example.com", tags="camp")
    for customer_id, medium, granted in [("s1", "sms", True), ("s2", "email", False), ("s2", "sms", True),
                                         ("s3", "email", True)]:
        shop.consent(customer_id, "marketing", medium, granted)
    shop.load(figured)
    created = api('mutation { createSegment(name: "Camp", filter: {tags: ["camp"]}) { segment { id } } }')
    segment_id = created["data"]["createSegment"]["segment"]["id"]
    csv_of = 'query($id: ID!, $medium: ConsentMedium) { segmentCsv(id: $id, medium: $medium) }'
    # when / then
    sms = api(csv_of, id=segment_id, medium="SMS")["data"]["segmentCsv"].splitlines()[1:]
    assert [line.split(",")[:6] for line in sms] == [["s1", "r1", "Sam", "", "", "+15550001"],
                                                     ["s2", "r1", "Sue", "", "", "+15550002"]]
    email = api(csv_of, id=segment_id, medium="EMAIL")["data"]["segmentCsv"].splitlines()[1:]
    assert email == ['s3,r1,"\'=HYPERLINK(""http://x"")",,x@example.com,,,,,']
    post = api(csv_of, id=segment_id, medium="POST")["errors"][0]
    assert post["extensions"] == {"code": "BAD_USER_INPUT", "field": "medium"}


def test_the_channels_condition_says_it_counts_events_too(api: Any) -> None:
    for kind in ("SegmentFilterInput", "SegmentFilterView"):
        fields = "inputFields { name description } fields { name description }"
        found = api(f'{{ __type(name: "{kind}") {{ {fields} }} }}', Role.INTEGRATOR)["data"]["__type"]
        [channels] = [f for f in (found["inputFields"] or found["fields"]) if f["name"] == "channels"]
        assert "event" in channels["description"] and "bought through" not in channels["description"], kind


def test_a_purchase_recorded_through_the_api_updates_the_buyers_figures(api: Any) -> None:
    # given ivy at risk after the full run
    assert api(CUSTOMER, id="ivy")["data"]["customer"]["lifecycleStage"] == "AT_RISK"
    # when she buys now (years after the shop's data ends)
    bought = api('mutation { recordPurchase(input: {orderId: "new1", channel: POS, customer: "ivy", '
                 'lines: [{product: "bread", quantity: 1, amountMinor: 500}]}) { created errors { message } } }',
                 Role.INTEGRATOR)
    assert bought["data"]["recordPurchase"] == {"created": True, "errors": []}
    # then only her figures moved on: back after a long silence, and out of the at-risk core audience
    ivy = api(CUSTOMER, id="ivy")["data"]["customer"]
    assert ivy["lifecycleStage"] == "REACTIVATED" and ivy["rfm"]["r"] == 5
    assert api("{ atRiskCore { nodes { id } } }")["data"]["atRiskCore"]["nodes"] == []
