"""The shipped demo data (demo/data): loads without rejects, gives demo/README's counts, shows every feature."""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import pytest

from graph.admin import delete_everything, label_counts
from graph.driver import Graph
from loaders.canonical import load_dir
from loaders.demo_data import DEMO_FILES, build_demo_data
from loaders.report import LoadSummary

DEMO = Path(__file__).resolve().parents[2] / "demo"
README = DEMO.parent / "README.md"


def rows(name: str) -> list[dict[str, str]]:
    with gzip.open(DEMO / "data" / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def readme_counts() -> dict[str, int]:
    """The `| Label | count |` rows of demo/README.md's table of what loading gives."""
    text = (DEMO / "README.md").read_text()
    section = text.split("## What loading it gives", 1)[1].split("\n## ", 1)[0]
    return {m[1]: int(m[2].replace(",", "")) for m in re.finditer(r"^\| (\w+) \| ([\d,]+) \|", section, re.M)}


@pytest.fixture(scope="module")
def loaded(session_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> tuple[Graph, LoadSummary]:
    delete_everything(session_graph)
    summary = load_dir(session_graph, DEMO / "data", rejects_dir=tmp_path_factory.mktemp("rejects"), progress=False)
    return session_graph, summary


def test_every_row_of_every_file_loads(loaded: tuple[Graph, LoadSummary]) -> None:
    _, summary = loaded
    assert summary.rejected == 0
    assert summary.statistics_refreshed is True   # a load this size ends with fresh query plans
    read = {stats.file: (stats.read, stats.written) for stats in summary.files}
    for name in DEMO_FILES:
        expected = len(rows(name))
        assert read[f"{name}.csv.gz"] == (expected, expected), name


def test_the_graph_has_the_counts_demo_readme_states(loaded: tuple[Graph, LoadSummary]) -> None:
    graph, _ = loaded
    stated = readme_counts()
    assert {"Customer", "Order", "Product", "Event", "Identity", "Consent", "ServiceCase"} <= stated.keys()
    counts = label_counts(graph)
    assert {label: counts[label] for label in stated} == stated


def test_customers_have_several_identities_and_some_share_one(loaded: tuple[Graph, LoadSummary]) -> None:
    graph, _ = loaded
    per_customer = graph.read("MATCH (c:Customer) RETURN c.customer_id AS id, "
                              "COUNT { (c)-[:HAS_IDENTITY]->() } AS n")
    several = [r for r in per_customer if r["n"] >= 3]
    assert len(several) > 0.7 * len(per_customer)
    kinds = {r["kind"] for r in graph.read("MATCH (i:Identity) RETURN DISTINCT i.kind AS kind")}
    assert kinds == {"loyalty_card", "email", "phone", "web_account", "member_no", "external"}
    shared = graph.read("MATCH (a:Customer)-[:HAS_IDENTITY]->(i:Identity)<-[:HAS_IDENTITY]-(b:Customer) "
                        "WHERE a.customer_id < b.customer_id RETURN a.customer_id AS a, b.customer_id AS b")
    assert shared and all(r["b"].startswith("cj:gen-C") and not r["a"].startswith("cj:gen-") for r in shared)


def test_headers_are_the_readme_contract() -> None:
    documented = {m[1]: [c.split()[0].strip("*") for c in m[2].split(",")]
                  for m in re.finditer(r"^\| `(\w+)\.csv` \| (.+) \|$", README.read_text(), re.M)}
    for name in DEMO_FILES:
        with gzip.open(DEMO / "data" / f"{name}.csv.gz", "rt") as f:
            assert next(csv.reader(f)) == documented[name], name


def test_web_app_and_kiosk_activity_sits_on_real_households() -> None:
    events = rows("events")
    channels = {(r["channel_id"], r["kind"]) for r in events}
    assert {("web", "view"), ("web", "cart"), ("app", "view"), ("kiosk", "visit"), ("kiosk", "view"),
            ("web", "search"), ("web", "wishlist")} <= channels
    assert all(r["store_id"] for r in events if r["channel_id"] == "kiosk")
    assert any(not r["customer_id"] for r in events)  # anonymous visitors too
    real = {r["customer_id"] for r in rows("customers") if not r["customer_id"].startswith("cj:gen-")}
    assert {r["customer_id"] for r in events if r["customer_id"]} & real
    orders = rows("orders")
    assert {r["channel_id"] for r in orders} == {"pos", "web", "app", "kiosk"}
    assert {r["kind"] for r in orders} == {"purchase", "return"}
    generated = [r for r in orders if r["channel_id"] != "pos" or r["kind"] == "return"]
    assert all(r["order_id"].startswith("cj:gen-O") for r in generated)


def test_consents_and_service_cases_have_something_to_show() -> None:
    consents = {(r["purpose"], r["granted"]) for r in rows("consents")}
    assert {("marketing", "true"), ("marketing", "false"), ("personalisation", "true"),
            ("personalisation", "false"), ("profiling", "true")} <= consents
    assert any(r["source"] == "unsubscribe_link" for r in rows("consents"))
    cases = rows("service_cases")
    assert {r["status"] for r in cases} == {"open", "pending", "closed"}
    assert any(r["order_id"].startswith("cj:gen-O") for r in cases) and any(r["order_id"] == "" for r in cases)
    noted = {r["case_id"] for r in rows("service_notes")}
    assert noted == {r["case_id"] for r in cases}


def test_real_households_keep_their_demographics_and_some_went_quiet() -> None:
    customers = [r for r in rows("customers") if not r["customer_id"].startswith("cj:gen-")]
    assert len(customers) >= 200
    assert all(r["first_name"] and r["last_name"] and r["birthday"] and r["created_at"] for r in customers)
    published = [r for r in customers if r["age_band"]]
    assert len(published) > 0.85 * len(customers)
    assert all(r["income_band"] and r["household_comp"] for r in published)
    last: dict[str, str] = {}
    for r in rows("orders"):
        if r["channel_id"] == "pos" and r["kind"] == "purchase":
            last[r["customer_id"]] = max(last.get(r["customer_id"], ""), r["placed_at"])
    dormant = [c for c, at in last.items() if at < "2017-10-01"]
    assert 0.04 * len(customers) < len(dormant) < 0.15 * len(customers)


@pytest.mark.shared_data
@pytest.mark.slow
def test_make_demo_data_rebuilds_the_shipped_files_byte_for_byte(shared_data: Path, tmp_path: Path) -> None:
    build_demo_data(shared_data / "complete_journey", tmp_path, progress=False)
    for name in DEMO_FILES:
        assert (tmp_path / f"{name}.csv.gz").read_bytes() == (DEMO / "data" / f"{name}.csv.gz").read_bytes(), name
