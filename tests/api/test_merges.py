"""mergeCustomers / unmergeCustomers: combined history, recorded reason, and an exact way back."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.config import Role
from graph.merges import graph_fingerprint, merge_customers, merge_state, unmerge_customers
from graph.orders import upsert_orders
from recsys import keys
from tests.api.conftest import VERSION, seed_offers

CUSTOMERS = ["C1", "C2", "C3"]
MERGE = """mutation($survivor: ID!, $merged: ID!) {
  mergeCustomers(survivor: $survivor, merged: $merged,
                 reason: {identity: {kind: PHONE, value: "+4670000002"}, channel: SERVICE_DESK}) {
    customer { id identities { kind value } orders { totalCount } consents { purpose medium granted }
               mergedFrom { customerId identityKind maskedIdentityValue channel by at } }
    moved errors { code field message } } }"""
UNMERGE = """mutation($merged: ID!) { unmergeCustomers(merged: $merged) {
    customer { id orders { totalCount } mergedFrom { customerId } }
    other { id orders { totalCount } identities { value } }
    moved errors { code field message } } }"""


def record(n: int) -> dict[str, Any]:
    return {"merge_id": f"M{n}", "identity_kind": "phone", "identity_value": "+46", "channel_id": "pos",
            "by": "test", "at": datetime(2024, 6, 1, tzinfo=timezone.utc)}


def test_merge_combines_history_identities_and_records_why(shop: Any, api: Any) -> None:
    result = api.query(MERGE, survivor="C2", merged="C1")["data"]["mergeCustomers"]
    assert result["errors"] == [] and result["moved"] > 50
    c = result["customer"]
    assert c["id"] == "C2" and c["orders"]["totalCount"] == 50
    assert {i["value"] for i in c["identities"]} == {"900001", "900002", "anna@example.com"}
    assert c["consents"] == [{"purpose": "MARKETING", "medium": "EMAIL", "granted": True}]
    [why] = c["mergedFrom"]
    assert (why["customerId"], why["identityKind"], why["channel"]) == ("C1", "PHONE", "SERVICE_DESK")
    assert why["maskedIdentityValue"].endswith("0002") and why["by"].startswith("service_desk:") and why["at"]
    # the merged-away id answers with the survivor
    assert api.query('{ customer(id: "C1") { id } }')["data"]["customer"] == {"id": "C2"}


def test_unmerge_gives_each_profile_back_its_own(shop: Any, api: Any) -> None:
    api.query(MERGE, survivor="C2", merged="C1")
    result = api.query(UNMERGE, merged="C1")["data"]["unmergeCustomers"]
    assert result["errors"] == []
    assert result["customer"] == {"id": "C2", "orders": {"totalCount": 0}, "mergedFrom": []}
    assert result["other"]["id"] == "C1" and result["other"]["orders"]["totalCount"] == 50


def test_card_scans_find_the_profiles_as_merged_and_unmerged_at_once(shop: Any, cache: Any, api: Any) -> None:
    """No worker runs here: the offer store's identity map must not wait for one to name the right profile."""
    seed_offers(cache)
    scan = '{ customerByIdentity(kind: LOYALTY_CARD, value: "900001") { id } }'
    assert api.query(scan, role=Role.KIOSK)["data"]["customerByIdentity"] == {"id": "C1"}   # now in the map
    api.query(MERGE, survivor="C2", merged="C1")
    assert cache.get(keys.identity_holder("loyalty_card", "900001", VERSION)) == b"C2"
    api.query(UNMERGE, merged="C1")
    assert cache.get(keys.identity_holder("loyalty_card", "900001", VERSION)) == b"C1"
    assert api.query(scan, role=Role.KIOSK)["data"]["customerByIdentity"] == {"id": "C1"}


def test_merge_refusals_name_the_field(shop: Any, api: Any) -> None:
    def errors(**ids: str) -> list[dict[str, Any]]:
        return api.query(MERGE, **ids)["data"]["mergeCustomers"]["errors"]

    assert errors(survivor="C1", merged="nobody") == [
        {"code": "NOT_FOUND", "field": "merged", "message": "no customer nobody"}]
    assert errors(survivor="C1", merged="C1")[0]["field"] == "merged"
    api.query(MERGE, survivor="C2", merged="C1")
    assert errors(survivor="C3", merged="C1")[0] | {"message": ""} == {"code": "CONFLICT", "field": "merged",
                                                                      "message": ""}
    unmerge = api.query(UNMERGE, merged="C3")["data"]["unmergeCustomers"]["errors"]
    assert unmerge[0]["code"] == "INVALID" and unmerge[0]["field"] == "merged"


def test_only_service_desk_and_admin_may_merge(shop: Any, api: Any) -> None:
    for role in (Role.WEB, Role.KIOSK, Role.INTEGRATOR):
        result = api.query(MERGE, role=role, survivor="C2", merged="C1")
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert api.query(MERGE, role=Role.ADMIN, survivor="C2", merged="C1")["data"]["mergeCustomers"]["errors"] == []


pairs = st.lists(st.tuples(st.sampled_from(CUSTOMERS), st.sampled_from(CUSTOMERS)), min_size=1, max_size=4)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=pairs)
def test_unmerging_every_merge_restores_the_original_graph_exactly(shop: Any, pairs: list[tuple[str, str]]) -> None:
    # given the shop's graph as loaded
    before = graph_fingerprint(shop)
    # when random pairs are merged (those that may be) and then unmerged, newest first
    done = []
    for n, (survivor, merged) in enumerate(pairs):
        if merge_customers(shop, survivor, merged, record(n)) is not None:
            done.append(merged)
    assert all(merge_state(shop, [m])[m]["merged_into"] for m in done)
    for merged in reversed(done):
        assert unmerge_customers(shop, merged) is not None
    # then the graph is exactly the original
    assert graph_fingerprint(shop) == before


LATE_WRITES = [
    ('mutation { recordEvent(input: {eventId: "late", kind: VIEW, channel: WEB, customer: "C1", product: "P1"}) '
     '{ errors { field } } }', Role.SERVICE_DESK),
    ('mutation { recordPurchase(input: {orderId: "late-order", channel: POS, customer: "C1", store: "S1", '
     'lines: [{product: "P2", quantity: 1, amountMinor: 250}]}) { errors { field } } }', Role.INTEGRATOR),
    ('mutation { updateConsent(customer: "C1", channel: APP, decision: {purpose: MARKETING, medium: SMS, '
     'granted: true}) { errors { field } } }', Role.SERVICE_DESK),
    ('mutation { linkIdentity(customer: "C1", channel: APP, identity: {kind: LOYALTY_CARD, value: "777001"}) '
     '{ errors { field } } }', Role.SERVICE_DESK),
    ('mutation { openServiceCase(input: {customer: "C1", channel: SERVICE_DESK, subject: "late"}) '
     '{ errors { field } } }', Role.SERVICE_DESK),
]
PICTURE = """query($id: ID!) { customer(id: $id) { id events { id } orders(first: 100) { totalCount nodes { id } }
  identities { value } serviceCases { subject } consents { medium } } }"""


def picture(api: Any, customer_id: str) -> dict[str, Any]:
    c = api.query(PICTURE, id=customer_id)["data"]["customer"]
    return {"id": c["id"], "events": {e["id"] for e in c["events"]}, "orders": {o["id"] for o in c["orders"]["nodes"]},
            "cards": {i["value"] for i in c["identities"]}, "cases": {k["subject"] for k in c["serviceCases"]},
            "consents": sorted(k["medium"] for k in c["consents"])}


def test_what_is_recorded_for_a_merged_away_id_goes_back_with_the_unmerge(shop: Any, api: Any) -> None:
    """A till or a nightly load still using the old id: the survivor shows it, and an unmerge hands it back."""
    # given C1 merged into C2
    own_c1, own_c2 = picture(api, "C1"), picture(api, "C2")
    assert api.query(MERGE, survivor="C2", merged="C1")["data"]["mergeCustomers"]["errors"] == []
    # when the API and a load record things under C1's id
    for document, role in LATE_WRITES:
        result = api.query(document, role=role)["data"]
        assert next(iter(result.values()))["errors"] == [], document
    load_row = {"order_id": "loaded-late", "retailer_id": "R1", "customer_id": "C1", "store_id": "S1",
                "region_id": None, "channel_id": "pos", "placed_at": datetime(2024, 6, 2, tzinfo=timezone.utc),
                "props": {"kind": "purchase"}}
    assert upsert_orders(shop, [load_row]) == 1
    # then the merged profile shows them (the loaded order was invisible before: it hung on the merged-away node)
    merged = picture(api, "C2")
    late = {"events": {"late", "order:late-order"}, "orders": {"late-order", "loaded-late"}, "cards": {"777001"},
            "cases": {"late"}}
    for part, ids in late.items():
        assert ids <= merged[part], part
    # and the unmerge gives C1 all of it back, C2 keeps exactly its own
    assert api.query(UNMERGE, merged="C1")["data"]["unmergeCustomers"]["errors"] == []
    assert picture(api, "C2") == own_c2
    restored = picture(api, "C1")
    for part, ids in late.items():
        assert restored[part] == own_c1[part] | ids, part
    assert restored["consents"] == sorted(own_c1["consents"] + ["SMS"])


def test_what_is_recorded_for_the_survivor_stays_with_it(shop: Any, api: Any) -> None:
    api.query(MERGE, survivor="C2", merged="C1")
    event = """mutation { recordEvent(input: {eventId: "mine", kind: VIEW, channel: WEB, customer: "C2",
                                               product: "P1"}) { created errors { field } } }"""
    assert api.query(event)["data"]["recordEvent"] == {"created": True, "errors": []}
    api.query(UNMERGE, merged="C1")
    assert "mine" in picture(api, "C2")["events"] and "mine" not in picture(api, "C1")["events"]
