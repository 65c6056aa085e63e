from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.admin import label_counts
from graph.census import fingerprint, node_by_key, relationship_counts
from graph.driver import Graph
from loaders.canonical import load_dir
from loaders.rows import LoadError

EXPECTED_NODES = {"Retailer": 1, "Region": 1, "Store": 2, "Category": 3, "Brand": 1, "Product": 2,
                  "Customer": 2, "Identity": 3, "Consent": 2, "Order": 3, "Event": 3, "ServiceCase": 1,
                  "ServiceNote": 1, "Campaign": 1, "Coupon": 1, "Channel": 6}
EXPECTED_RELATIONSHIPS = {"IN_REGION": 1, "PARENT": 2, "IN_CATEGORY": 2, "OF_BRAND": 1, "CARRIES": 3,
                          "PROMOTED": 1, "HOME_STORE": 1, "HAS_IDENTITY": 3, "GAVE": 2, "PLACED": 2,
                          "AT_STORE": 3, "VIA": 7, "CONTAINS": 4, "DID": 2, "ABOUT": 1, "RAISED": 1,
                          "ABOUT_ORDER": 1, "HAS_NOTE": 1, "RECEIVED": 2, "OF_CAMPAIGN": 1, "APPLIES_TO": 2,
                          "REDEEMED": 1}


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def test_the_tiny_folder_gives_exactly_the_expected_nodes_and_relationships(graph: Graph, tiny: Path,
                                                                             rejects_dir: Path) -> None:
    summary = load_dir(graph, tiny, rejects_dir=rejects_dir, progress=False)

    assert summary.rejected == 0 and not rejects_dir.exists()
    assert summary.read == summary.written == 40
    assert summary.statistics_refreshed is None   # too few rows to change a plan (REPLAN_AFTER_ROWS)
    assert nonzero(label_counts(graph)) == EXPECTED_NODES
    assert relationship_counts(graph) == EXPECTED_RELATIONSHIPS


def test_money_times_and_identities_are_stored_in_their_conventions(graph: Graph, tiny: Path) -> None:
    load_dir(graph, tiny, progress=False)

    o1 = node_by_key(graph, "Order", "order_id", "acme:o1")
    assert o1 is not None
    assert o1["props"]["placed_at"].to_native() == datetime(2023, 3, 1, 17, 0, tzinfo=UTC)
    assert (o1["props"]["goods_minor"], o1["props"]["discount_minor"], o1["props"]["line_count"]) == (1648, 50, 2)
    guest = node_by_key(graph, "Order", "order_id", "acme:o2")
    assert guest is not None and guest["props"]["anonymous"] is True
    assert guest["props"]["placed_at"].to_native() == datetime(2023, 3, 2, 13, 0, tzinfo=UTC)  # naive = New York
    assert not [r for r in guest["incoming"] if r[0] == "PLACED"]
    ada = node_by_key(graph, "Customer", "customer_id", "acme:c1")
    assert ada is not None and ada["props"]["email"] == "ada@example.com"
    assert ada["props"]["phone"] == "+15550001"    # "+1 555-0001" in the file: one spelling (graph.identifiers)
    assert ada["props"]["tags"] == ["vip", "baker"]
    identity_keys = sorted(p["identity_key"] for t, _, p in ada["outgoing"] if t == "HAS_IDENTITY")
    assert identity_keys == ["acme:email:ada@example.com", "acme:loyalty_card:LC-0001"]


@pytest.mark.parametrize("order", ["as written", "reversed"])
def test_the_latest_consent_decision_wins_whatever_the_row_order(graph: Graph, tiny: Path, order: str) -> None:
    if order == "reversed":  # the 2023-01 grant after the 2023-06 withdrawal, in the same batch
        header, *rows = (tiny / "consents.csv").read_text().splitlines(keepends=True)
        (tiny / "consents.csv").write_text(header + "".join(reversed(rows)))

    summary = load_dir(graph, tiny, progress=False)

    consent = node_by_key(graph, "Consent", "consent_id", "acme:c1|marketing|email")
    assert consent is not None and consent["props"]["granted"] is False
    assert consent["props"]["source"] == "preference_centre"
    assert consent["props"]["updated_at"].to_native() == datetime(2023, 6, 1, 10, 0, tzinfo=UTC)
    assert summary.file("consents.csv").written == 3


def test_loading_the_same_folder_twice_changes_nothing(graph: Graph, tiny: Path) -> None:
    load_dir(graph, tiny, progress=False)
    before = fingerprint(graph)

    again = load_dir(graph, tiny, progress=False)

    assert again.written == again.read and again.rejected == 0
    assert fingerprint(graph) == before


def test_a_load_interrupted_half_way_ends_in_the_same_graph_when_run_again(graph: Graph, tiny: Path,
                                                                           tmp_path: Path) -> None:
    load_dir(graph, tiny, progress=False)
    complete = fingerprint(graph)
    graph.write("MATCH (n) DETACH DELETE n")
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("retailers.csv", "stores.csv", "regions.csv", "products.csv", "orders.csv"):
        (partial / name).write_text((tiny / name).read_text())
    lines = (tiny / "order_lines.csv").read_text().splitlines(keepends=True)
    (partial / "order_lines.csv").write_text("".join(lines[:3]))
    load_dir(graph, partial, progress=False)

    load_dir(graph, tiny, progress=False)

    assert fingerprint(graph) == complete


def test_broken_rows_are_rejected_with_their_reasons_and_good_rows_still_load(graph: Graph, tiny: Path,
                                                                           rejects_dir: Path) -> None:
    with (tiny / "customers.csv").open("a") as f:
        f.write("acme:c3,acme,Cy,,,,,1990-02-30,,,,,,,,,,,,,,\n")          # no such day
        f.write("acme:c4,acme,Di,,,,,,,,,,,,,,,,,acme:s9,,\n")             # unknown home store
        f.write("acme:c5,acme,Ed\n")                                       # too few fields
        f.write("acme:c6,acme,Flo,,,,,,,,,,,,,,,lots,,,,\n")               # points not a number
        f.write(",acme,Nameless,,,,,,,,,,,,,,,,,,,\n")                     # no id
        f.write("acme:c7,acme,Gil,,,n/a,,,,,,,,,,,,,,,,\n")                  # phone without digits
        f.write("acme:c8,zeta,Hal,,,,,,,,,,,,,,,,,,,\n")                   # no such retailer
        f.write("acme:c9,acme,Ida,,,,,2999-01-01,,,,,,,,,,,,,,\n")        # born in the future
    with (tiny / "products.csv").open("a") as f:
        f.write("acme:p3,acme,Refund,,,-1.00,,\n")                         # negative price
    with (tiny / "orders.csv").open("a") as f:
        f.write("acme:o8,acme,acme:c1,acme:s1,pos,2999-01-01T10:00:00Z,purchase,\n")   # a till's wrong date
    with (tiny / "order_lines.csv").open("a") as f:
        f.write("acme:o2,2,acme:p404,1,1.00,1.00,,\n")                    # unknown product
        f.write("acme:o9,1,acme:p1,1,1.00,1.00,,\n")                      # unknown order
        f.write("acme:o2,3,acme:p2,one,1.00,1.00,,\n")                    # quantity not a number
        f.write("acme:o2,4,acme:p2,1,1.00,1.00,,\n")                      # good

    summary = load_dir(graph, tiny, rejects_dir=rejects_dir, progress=False)

    assert summary.file("customers.csv").written == 2 and summary.file("customers.csv").rejected == 8
    assert summary.file("order_lines.csv").written == 5 and summary.file("order_lines.csv").rejected == 3
    customers = read_rejects(rejects_dir / "customers.rejects.csv")
    assert [(r["line"], r["field"]) for r in customers] == [
        ("4", "birthday"), ("6", ""), ("7", "loyalty_points"), ("8", "customer_id"), ("9", "phone"),
        ("10", "retailer_id"), ("11", "birthday"), ("5", "home_store_id")]
    assert "not a date" in customers[0]["reason"] and "3 fields" in customers[1]["reason"]
    assert customers[4]["reason"] == "'n/a' is not a phone number: no digits"
    assert customers[5]["reason"] == "unknown retailer 'zeta': add it to retailers.csv"
    assert customers[6]["reason"] == "'2999-01-01' is in the future"
    assert customers[7]["reason"] == "refers to something not in the graph: home_store_id 'acme:s9'"
    assert customers[7]["raw"].startswith("acme:c4,acme,Di,")
    lines = read_rejects(rejects_dir / "order_lines.rejects.csv")
    assert sorted((r["line"], r["field"], r["reason"]) for r in lines) == [   # only what is missing is named
        ("6", "product_id", "refers to something not in the graph: product_id 'acme:p404'"),
        ("7", "order_id", "refers to something not in the graph: order_id 'acme:o9'"),
        ("8", "quantity", "'one' is not a number")]
    [price] = read_rejects(rejects_dir / "products.rejects.csv")
    assert (price["field"], price["reason"]) == ("price", "'-1.00' is negative")
    [future] = read_rejects(rejects_dir / "orders.rejects.csv")
    assert future["field"] == "placed_at" and "'2999-01-01T10:00:00Z' is in the future" in future["reason"]
    assert nonzero(label_counts(graph))["Customer"] == 2
    assert relationship_counts(graph)["CONTAINS"] == 5


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(r["file"] == path.name.replace(".rejects", "") for r in rows)
    return rows


def test_a_missing_required_column_stops_the_load_and_says_which(graph: Graph, tiny: Path) -> None:
    (tiny / "orders.csv").write_text("order_id,retailer_id,channel_id\nacme:o1,acme,pos\n")

    with pytest.raises(LoadError, match="orders.csv: header lacks required column.s. placed_at"):
        load_dir(graph, tiny, progress=False)


def test_a_folder_without_canonical_files_is_an_error(graph: Graph, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no canonical file"):
        load_dir(graph, tmp_path, progress=False)
    with pytest.raises(LoadError, match="not a folder"):
        load_dir(graph, tmp_path / "absent", progress=False)
