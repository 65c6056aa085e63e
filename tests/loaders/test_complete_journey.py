"""The Complete Journey: every file cut down to the first 5,000 transaction lines (see conftest)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.admin import label_counts
from graph.census import fingerprint, node_by_key, relationship_counts
from graph.driver import Graph
from loaders import journey_baskets
from loaders.complete_journey import FILES, load_dir
from loaders.context import Context
from loaders.session import reference_explainer
from tests.loaders.conftest import Loaded, interrupt_then_rerun, load_into_empty

pytestmark = pytest.mark.shared_data
ROWS = {"demographics.csv.gz": 801, "products.csv.gz": 3_523, "transactions.csv.gz": 5_000,
        "store assortment (derived)": 4_918, "campaign_descriptions.csv.gz": 27, "campaigns.csv.gz": 4_636,
        "coupons.csv.gz": 1_000, "coupon_redemptions.csv.gz": 23, "promotions_sample.csv.gz": 1_000}


@pytest.fixture(scope="module")
def loaded(session_graph: Graph, complete_journey_subset: Path, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """The subset loaded once into an emptied graph; the tests using it only read (or reload the same rows)."""
    return load_into_empty(session_graph, load_dir, complete_journey_subset, tmp_path_factory.mktemp("rejects"))


def node(graph: Graph, label: str, key: str, value: str) -> dict[str, Any]:
    found = node_by_key(graph, label, key, value)
    assert found is not None, value
    return found


def test_the_subset_gives_exact_counts(loaded: Loaded) -> None:
    summary, graph = loaded.summary, loaded.graph

    assert {s.file: s.read for s in summary.files} == ROWS
    assert summary.rejected == 0 and summary.written == summary.read
    counts = {k: v for k, v in label_counts(graph).items() if v}
    assert counts == {"Retailer": 1, "Channel": 6, "Customer": 1_023, "Identity": 1_023, "Store": 113, "Order": 524,
                      "Product": 4_424, "Category": 1_184, "Brand": 2, "Campaign": 27, "Coupon": 4}
    assert relationship_counts(graph) == {
        "HAS_IDENTITY": 1_023, "PLACED": 524, "AT_STORE": 524, "VIA": 524, "CONTAINS": 5_000, "CARRIES": 4_918,
        "IN_CATEGORY": 3_523, "OF_BRAND": 3_523, "PARENT": 1_184 - 19, "RECEIVED": 4_636, "OF_CAMPAIGN": 4,
        "APPLIES_TO": 1_000, "REDEEMED": 23, "PROMOTED": 1_000}
    lines = {r["kind"]: r["n"] for r in graph.read("MATCH ()-[l:CONTAINS]->() RETURN l.kind AS kind, count(*) AS n")}
    assert lines == {"sale": 4_974, "void": 23, "free": 3}


def test_a_basket_is_an_in_store_order_with_its_discounts_in_cents(loaded: Loaded) -> None:
    basket = node(loaded.graph, "Order", "order_id", "cj:31198460296")

    props = basket["props"]
    assert props["placed_at"].to_native() == datetime(2017, 1, 1, 16, 19, 57, tzinfo=UTC)   # naive UTC in the source
    assert (props["kind"], props["line_count"], props["goods_minor"], props["total_minor"]) == ("purchase", 6, 2_164,
                                                                                               2_164)
    assert (props["discount_minor"], props["coupon_discount_minor"], props["week"]) == (337, 200, 1)
    assert {(t, p.get("channel_id") or p.get("store_id") or p.get("customer_id"))
            for t, _, p in basket["outgoing"] + basket["incoming"] if t != "CONTAINS"} == {
        ("VIA", "pos"), ("AT_STORE", "cj:297"), ("PLACED", "cj:608")}
    line = next(r for t, r, p in basket["outgoing"] if t == "CONTAINS" and p["product_id"] == "cj:1067176")
    assert (line["quantity"], line["amount_minor"], line["discount_minor"], line["coupon_discount_minor"]) == (
        1, 899, 160, 200)


def test_zero_lines_households_and_the_derived_assortment_have_their_meaning(loaded: Loaded) -> None:
    graph = loaded.graph
    free = node(graph, "Order", "order_id", "cj:31198500220")                      # quantity 1 at 0.00
    assert [(r["kind"], r["quantity"], r["amount_minor"]) for t, r, p in free["outgoing"]
            if t == "CONTAINS" and p["product_id"] == "cj:1079228"] == [("free", 1, 0)]
    void = node(graph, "Order", "order_id", "cj:31198920207")                      # quantity 0 at 0.00
    assert [(r["kind"], r["quantity"], r["amount_minor"]) for t, r, p in void["outgoing"]
            if t == "CONTAINS" and p["product_id"] == "cj:861792"] == [("void", 0, 0)]
    household = node(graph, "Customer", "customer_id", "cj:608")
    assert [p["identity_key"] for t, _, p in household["outgoing"] if t == "HAS_IDENTITY"] == ["cj:member_no:608"]
    carried = graph.read("MATCH (:Store)-[c:CARRIES]->() RETURN collect(DISTINCT c.source) AS sources, "
                         "count(c.stock) AS stocked")[0]
    assert (carried["sources"], carried["stocked"]) == (["derived_from_sales"], 0)
    assert graph.read("MATCH (s:Store {store_id: 'cj:297'})-[:CARRIES]->(p:Product {product_id: 'cj:1067176'}) "
                      "RETURN count(*) AS n")[0]["n"] == 1
    product = node(graph, "Product", "product_id", "cj:1067176")
    assert product["props"]["in_catalogue"] is True
    path = graph.read("MATCH (:Product {product_id: 'cj:1067176'})-[:IN_CATEGORY]->(t)-[:PARENT]->(c)-[:PARENT]->(d) "
                      "RETURN [t.level, c.level, d.level] AS levels")[0]["levels"]
    assert path == ["type", "category", "department"]


def test_a_recipient_the_graph_lacks_is_explained_by_the_column_naming_it(loaded: Loaded) -> None:
    spec = next(s for s in FILES if s.stem == "campaigns")
    household = loaded.graph.read("MATCH (c:Customer) RETURN c.customer_id AS id LIMIT 1")[0]["id"].removeprefix("cj:")
    header, raws = ["campaign_id", "household_id"], [["1", "999999"], ["999", household]]
    rows = [spec.parse(dict(zip(header, raw)), Context()) for raw in raws]
    explain = reference_explainer(header, spec.refers_to)

    assert explain is not None and explain(loaded.graph, rows, raws) == [
        ("household_id", "refers to something not in the graph: household_id '999999'"),
        ("campaign_id", "refers to something not in the graph: campaign_id '999'")]


def test_loading_the_subset_twice_changes_nothing(loaded: Loaded, complete_journey_subset: Path) -> None:
    again = load_dir(loaded.graph, complete_journey_subset, progress=False)

    assert {s.file: s.read for s in again.files} == ROWS and again.rejected == 0
    assert fingerprint(loaded.graph) == loaded.fingerprint


def test_an_interrupted_load_run_again_ends_in_the_same_graph(loaded: Loaded, graph: Graph,
                                                              complete_journey_subset: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    complete = loaded.fingerprint
    monkeypatch.setattr(journey_baskets, "BASKET_LINES", 1_000)

    left = interrupt_then_rerun(graph, load_dir, complete_journey_subset, monkeypatch)

    assert 0 < left < 524
    assert fingerprint(graph) == complete
