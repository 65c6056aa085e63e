"""UCI Online Retail: a 12,053-row cut of the real file (see conftest) and hand-made broken files."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.admin import label_counts
from graph.census import fingerprint, node_by_key, relationship_counts
from graph.driver import Graph
from graph.retailers import retailer_order_counts
from loaders import online_retail
from loaders.online_retail import load_dir
from tests.loaders.conftest import Loaded, interrupt_then_rerun, load_into_empty

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def loaded(session_graph: Graph, online_retail_subset: Path, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """The subset loaded once into an emptied graph; the tests using it only read (or reload the same rows)."""
    return load_into_empty(session_graph, load_dir, online_retail_subset, tmp_path_factory.mktemp("rejects"))


def order(graph: Graph, order_id: str) -> dict[str, Any]:
    found = node_by_key(graph, "Order", "order_id", order_id)
    assert found is not None, order_id
    return found


@pytest.mark.shared_data
def test_the_subset_gives_exact_counts(loaded: Loaded) -> None:
    graph, summary = loaded.graph, loaded.summary

    assert (summary.read, summary.written, summary.rejected) == (12_053, 12_053, 0)
    counts = label_counts(graph)
    assert (counts["Customer"], counts["Identity"], counts["Order"], counts["Product"]) == (360, 360, 573, 2_121)
    assert (counts["Region"], counts["Charge"], counts["Retailer"]) == (15, 7, 1)
    rels = relationship_counts(graph)
    assert (rels["CONTAINS"], rels["CHARGED"], rels["VIA"], rels["IN_REGION"]) == (12_007, 46, 573, 573 + 360)
    assert retailer_order_counts(graph, "uci") == {("purchase", False): 445, ("purchase", True): 43,
                                                   ("return", False): 51, ("return", True): 1,
                                                   ("adjustment", True): 33}
    lines = {r["kind"]: r["n"] for r in graph.read("MATCH ()-[l:CONTAINS]->() RETURN l.kind AS kind, count(*) AS n")}
    assert lines == {"sale": 11_832, "return": 129, "write_off": 30, "free": 16}


@pytest.mark.shared_data
def test_invoices_map_to_web_orders_in_pence_and_utc(loaded: Loaded) -> None:
    graph = loaded.graph

    first = order(graph, "uci:536365")
    assert first["props"]["placed_at"].to_native() == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)  # GMT in winter
    assert (first["props"]["goods_minor"], first["props"]["total_minor"], first["props"]["line_count"]) == (13_912,
                                                                                                             13_912, 7)
    assert {(t, p.get("channel_id") or p.get("region_id")) for t, _, p in first["outgoing"] if t != "CONTAINS"} == {
        ("VIA", "web"), ("IN_REGION", "uci:country:united-kingdom")}
    line = next(r for t, r, p in first["outgoing"] if t == "CONTAINS" and p["product_id"] == "uci:85123A")
    assert (line["quantity"], line["unit_price_minor"], line["amount_minor"], line["kind"]) == (6, 255, 1_530, "sale")
    customer = node_by_key(graph, "Customer", "customer_id", "uci:17850")
    assert customer is not None and customer["props"]["retailer_id"] == "uci"
    assert [p["identity_key"] for t, _, p in customer["outgoing"] if t == "HAS_IDENTITY"] == ["uci:web_account:17850"]
    product = node_by_key(graph, "Product", "product_id", "uci:85123A")
    assert product is not None and product["props"]["name"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert product["props"]["price_minor"] == 255


@pytest.mark.shared_data
def test_cancellations_guests_charges_and_adjustments_have_their_meaning(loaded: Loaded) -> None:
    graph = loaded.graph

    cancelled = order(graph, "uci:C536379")                       # a discount refunded: a return, no goods
    assert (cancelled["props"]["kind"], cancelled["props"]["total_minor"]) == ("return", -2_750)
    assert [(p["kind"], r["amount_minor"]) for t, r, p in cancelled["outgoing"] if t == "CHARGED"] == [
        ("discount", -2_750)]
    postage = order(graph, "uci:536544")                          # a guest order with dotcom postage
    assert postage["props"]["anonymous"] is True and not [t for t, _, _ in postage["incoming"] if t == "PLACED"]
    assert (postage["props"]["goods_minor"], postage["props"]["charges_minor"]) == (495_137, 56_977)
    assert postage["props"]["total_minor"] == 495_137 + 56_977
    assert not graph.read("MATCH (p:Product) WHERE p.product_id IN ['uci:POST', 'uci:DOT', 'uci:M'] RETURN p")
    bad_debt = order(graph, "uci:A563186")
    assert (bad_debt["props"]["kind"], bad_debt["props"]["total_minor"]) == ("adjustment", -1_106_206)
    split = order(graph, "uci:542806")                            # its lines are interrupted by another invoice
    assert (split["props"]["line_count"], split["props"]["total_minor"]) == (39, 84_669)
    written_off = graph.read("MATCH (o:Order {kind: 'adjustment'})-[l:CONTAINS]->() "
                             "RETURN count(DISTINCT o) AS orders, min(l.quantity) < 0 AS negative, "
                             "max(l.amount_minor) AS amount")[0]
    assert (written_off["orders"], written_off["negative"], written_off["amount"]) == (30, True, 0)


@pytest.mark.shared_data
def test_loading_the_subset_twice_changes_nothing(loaded: Loaded, online_retail_subset: Path) -> None:
    again = load_dir(loaded.graph, online_retail_subset, progress=False)

    assert (again.read, again.written, again.rejected) == (12_053, 12_053, 0)
    assert fingerprint(loaded.graph) == loaded.fingerprint


@pytest.mark.shared_data
def test_an_interrupted_load_run_again_ends_in_the_same_graph(loaded: Loaded, graph: Graph,
                                                              online_retail_subset: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    complete = loaded.fingerprint
    monkeypatch.setattr(online_retail, "INVOICE_LINES", 2_000)

    left = interrupt_then_rerun(graph, load_dir, online_retail_subset, monkeypatch)

    assert 0 < left < 573
    assert fingerprint(graph) == complete


def test_broken_rows_go_to_the_rejects_file_and_good_rows_load(graph: Graph, tmp_path: Path,
                                                                rejects_dir: Path) -> None:
    (tmp_path / "online_retail.csv").write_text(HEADER + "".join([
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n",
        "536365,71053,WHITE METAL LANTERN,six,2010-12-01 08:26:00,3.39,17850,United Kingdom\n",
        "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,abc,United Kingdom\n",
        "536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,yesterday,1.69,13047,United Kingdom\n",
        "536368,,NO CODE,1,2010-12-01 08:34:00,4.25,13047,United Kingdom\n",
        "536369,21756,BATH BUILDING BLOCK WORD,3,2010-12-01 08:35:00,5.95,13047\n",
        "536370,POST,POSTAGE,3,2011-07-01 08:45:00,18.00,,France\n",
    ]))

    summary = load_dir(graph, tmp_path, rejects_dir=rejects_dir, progress=False)

    assert (summary.read, summary.written, summary.rejected) == (7, 2, 5)
    rejects = read_rejects(rejects_dir / "online_retail.rejects.csv")
    assert [(r["file"], r["line"], r["field"]) for r in rejects] == [
        ("online_retail.csv", "3", "Quantity"), ("online_retail.csv", "4", "CustomerID"),
        ("online_retail.csv", "5", "InvoiceDate"), ("online_retail.csv", "6", "StockCode"),
        ("online_retail.csv", "7", "")]
    assert "'six' is not a whole number" in rejects[0]["reason"] and "7 fields" in rejects[4]["reason"]
    assert rejects[1]["raw"].startswith("536366,22633,")
    guest = order(graph, "uci:536370")                            # British summer time: 08:45 BST = 07:45 UTC
    assert guest["props"]["placed_at"].to_native() == datetime(2011, 7, 1, 7, 45, tzinfo=UTC)
    assert (guest["props"]["total_minor"], guest["props"]["anonymous"]) == (5_400, True)
