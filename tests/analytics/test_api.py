"""Analytics in the API: figures on Customer, audiences and segments with roles and consent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.testclient import TestClient

from analytics import recompute
from api.app import create_app
from api.config import ApiConfig, Role, hash_key
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
        def query(document: str, role: Role = Role.SERVICE_DESK, **variables: Any) -> dict[str, Any]:
            response = client.post("/graphql", json={"query": document, "variables": variables},
                                   headers={"Authorization": f"Bearer {KEYS[role]}"})
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]
        yield query


CUSTOMER = """query($id: ID!) { customer(id: $id) {
  rfm { r f m segment frequency monetary { amountMinor } } valueTier lifecycleStage churnProbability
  predictedValue { expectedPurchases horizonDays } segments { name } replenishmentDue { productId dueOn intervalDays }
} }"""


def test_customer_shows_where_they_stand(api: Any) -> None:
    ivy = api(CUSTOMER, Role.WEB, id="ivy")["data"]["customer"]
    assert (ivy["valueTier"], ivy["lifecycleStage"], ivy["rfm"]["frequency"]) == ("CORE", "AT_RISK", 20)
    assert ivy["rfm"]["monetary"]["amountMinor"] == 160_000 and ivy["predictedValue"]["horizonDays"] == 90
    assert 0 <= ivy["churnProbability"] <= 1 and ivy["segments"] == []
    assert ivy["replenishmentDue"] == [{"productId": "bread", "dueOn": str(back(21)), "intervalDays": 7.0}]
    joe = api(CUSTOMER, Role.WEB, id="joe")["data"]["customer"]
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
    assert page == {"nodes": [{"id": "eve"}], "endCursor": "eve", "hasNextPage": True}
    csv_text = api('query($id: ID!) { segmentCsv(id: $id) }', id=segment["id"])["data"]["segmentCsv"]
    assert csv_text.splitlines()[0].startswith("customer_id,retailer_id,first_name,last_name,email")
    assert [line.split(",")[0] for line in csv_text.splitlines()[1:]] == ["eve", "ivy"]
    assert "Stone,ivy@example.com" in csv_text
    updated = api(f'mutation($id: ID!) {{ updateSegment(id: $id, filter: {{tiers: [CORE]}}) {{ segment {{ {SEGMENT} }} '
                  '} }', id=segment["id"])["data"]["updateSegment"]["segment"]
    assert (updated["name"], updated["memberCount"], updated["filter"]["tiers"]) == ("Mid", 3, ["CORE"])
    assert [s["name"] for s in api("{ segments { name } }")["data"]["segments"]] == ["Mid"]
    assert api(CUSTOMER, id="ivy")["data"]["customer"]["segments"] == [{"name": "Mid"}]
    deleted = api('mutation($id: ID!) { deleteSegment(id: $id) { deleted } }', id=segment["id"])
    assert deleted["data"]["deleteSegment"]["deleted"] is True
    assert api('query($id: ID!) { segment(id: $id) { id } }', id=segment["id"])["data"]["segment"] is None


def test_a_bad_segment_is_refused_with_the_field(api: Any) -> None:
    got = api('mutation { createSegment(name: " ", filter: {spendMinMinor: 5, spendMaxMinor: 1}) '
              '{ segment { id } errors { field } } }')["data"]["createSegment"]
    assert got == {"segment": None, "errors": [{"field": "name"}, {"field": "filter.spendMinMinor"}]}
    assert api('{ segments { id } }', Role.KIOSK)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


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
