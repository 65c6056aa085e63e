"""Who may see what: API keys, roles on sensitive fields, the PII audit log, introspection, document limits."""

from __future__ import annotations

from typing import Any

import pytest

from api.config import Role

S, W, K, I, A = Role.SERVICE_DESK, Role.WEB, Role.KIOSK, Role.INTEGRATOR, Role.ADMIN
PII_ROLES = {S, I, A}

# (name, document, roles allowed); each document touches exactly one sensitive field.
SENSITIVE = [
    ("lastName", '{ customer(id: "C1") { lastName } }', PII_ROLES),
    ("contact", '{ customer(id: "C1") { contact { email phone address } } }', PII_ROLES),
    ("birthday", '{ customer(id: "C1") { birthday } }', PII_ROLES),
    ("demographics", '{ customer(id: "C1") { demographics { gender ageBand } } }', PII_ROLES),
    ("segments", '{ customer(id: "C1") { segments { name filter { genders ageBands } } } }', PII_ROLES),
    ("identity value", '{ customer(id: "C1") { identities { value } } }', PII_ROLES),
    ("serviceCases", '{ customer(id: "C1") { serviceCases { id } } }', PII_ROLES),
    ("searchCustomers", '{ searchCustomers(name: "Berg") { nodes { id } } }', PII_ROLES),
    ("auditLog", "{ auditLog { id } }", {A}),
    ("mergeCustomers", 'mutation { mergeCustomers(survivor: "C2", merged: "C3", reason: {identity: {kind: PHONE, '
                       'value: "1"}, channel: SERVICE_DESK}) { moved } }', {S, A}),
    ("recordPurchase", 'mutation { recordPurchase(input: {orderId: "X1", channel: POS, lines: [{product: "P1", '
                       'quantity: 1, amountMinor: 100}]}) { created } }', {I, A}),
    ("openServiceCase", 'mutation { openServiceCase(input: {customer: "C1", subject: "Hi", channel: WEB}) '
                        '{ errors { code } } }', PII_ROLES),
]
OPEN_TO_ALL = [
    ("non-personal customer fields", '{ customer(id: "C1") { id firstName tags loyalty { tier } '
                                     'identities { kind maskedValue } value { orderCount } } }'),
    ("nextBestOffers", '{ nextBestOffers(customer: "C1") { source } }'),
    ("popularProducts", "{ popularProducts { score } }"),
    ("product", '{ product(id: "P1") { name } }'),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_role_against_every_sensitive_field(shop: Any, api: Any, role: Role) -> None:
    for name, document, allowed in SENSITIVE:
        result = api.query(document, **api.identified(role, "C1"))   # web, kiosk: C1 identified
        codes = [e["extensions"]["code"] for e in result.get("errors", [])]
        if role in allowed:
            assert codes == [], (name, result)
        else:
            assert codes and set(codes) == {"FORBIDDEN"}, (name, result)
            assert role.value in result["errors"][0]["message"]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_role_reads_offers_and_non_personal_fields(shop: Any, api: Any, role: Role) -> None:
    for name, document in OPEN_TO_ALL:
        assert "errors" not in api.query(document, **api.identified(role, "C1")), name


def test_no_key_no_data(shop: Any, api: Any) -> None:
    for document in ('{ customer(id: "C1") { id } }', "{ popularProducts { score } }"):
        result = api.query(document, role=None)
        assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
        assert result["data"] is None or all(v is None for v in result["data"].values())
    wrong = api.client.post("/graphql", json={"query": '{ customer(id: "C1") { id } }'},
                            headers={"Authorization": "Bearer not-a-key"}).json()
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_graphiql_loads_without_a_key(api: Any) -> None:
    page = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_pii_reads_are_audited_and_only_admin_reads_the_log(shop: Any, api: Any) -> None:
    # given a service-desk read of personal fields and a kiosk read of non-personal ones
    api.query('query Desk { customer(id: "C1") { firstName contact { email } identities { value } } }', role=S)
    api.query('query Kiosk { customer(id: "C2") { firstName } }', role=K)
    # when the admin reads the log
    log = api.query('{ auditLog(customer: "C1") { role keyId customerId fields operation at } }', role=A)
    all_entries = api.query("{ auditLog { customerId } }", role=A)["data"]["auditLog"]
    # then exactly the personal reads are there: who, which customer, which fields, when
    [entry] = log["data"]["auditLog"]
    assert (entry["role"], entry["customerId"], entry["operation"]) == ("service_desk", "C1", "Desk")
    assert sorted(entry["fields"]) == ["contact", "value"] and len(entry["keyId"]) == 12 and entry["at"]
    assert all_entries == [{"customerId": "C1"}]


def test_introspection_only_for_integrator_and_admin(api: Any) -> None:
    document = "{ __schema { queryType { name } } }"
    for role in Role:
        result = api.query(document, role=role)
        if role in {I, A}:
            assert result["data"]["__schema"]["queryType"]["name"] == "Query"
        else:
            assert "introspection" in result["errors"][0]["message"].lower()


def test_too_many_aliases_is_a_clear_error(api: Any) -> None:
    document = "{ " + " ".join(f"a{n}: product(id: \"P1\") {{ name }}" for n in range(25)) + " }"
    result = api.query(document)
    assert "aliases" in result["errors"][0]["message"].lower() and result.get("data") is None


def test_too_deep_is_a_clear_error(api: Any) -> None:
    nested = "name"
    for _ in range(8):
        nested = f"similarProducts {{ product {{ {nested} }} }}"
    result = api.query(f'{{ product(id: "P1") {{ {nested} }} }}')
    assert "depth" in result["errors"][0]["message"].lower() and result.get("data") is None


def test_too_many_tokens_is_a_clear_error(api: Any) -> None:
    document = "{ product(id: \"P1\") { " + " ".join(["name"] * 2_500) + " } }"
    result = api.query(document)
    assert "token" in result["errors"][0]["message"].lower() and result.get("data") is None


def test_a_body_that_is_not_json_is_a_bad_request(api: Any) -> None:
    for body in (b"{not json", b'{"query": "{ __typename }", "variables": NaN}', b"\xff\xfe"):
        response = api.client.post("/graphql", content=body, headers={
            **api.headers(Role.SERVICE_DESK), "Content-Type": "application/json"})
        assert response.status_code == 400 and "JSON" in response.text, body
