"""`c360 generate`: deterministic, complete, consistent canonical files with the signals the product needs."""

from __future__ import annotations

import csv
import gzip
import math
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from graph.driver import Graph
from loaders.canonical import load_dir
from loaders.generate import FILE_ORDER, generate_retailer

README = Path(__file__).resolve().parents[2] / "README.md"
CUSTOMERS = 400


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with gzip.open(folder / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def retailer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gen") / "seed7"
    generate_retailer(folder, CUSTOMERS, 7, progress=False)
    return folder


@pytest.fixture(scope="module")
def table(retailer: Path) -> dict[str, list[dict[str, str]]]:
    return {name: rows(retailer, name) for name in FILE_ORDER}


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(retailer: Path, tmp_path: Path) -> None:
    generate_retailer(tmp_path / "again", CUSTOMERS, 7, progress=False)
    generate_retailer(tmp_path / "other", CUSTOMERS, 8, progress=False)
    for name in FILE_ORDER:
        assert (tmp_path / "again" / f"{name}.csv.gz").read_bytes() == (retailer / f"{name}.csv.gz").read_bytes(), name
    differing = [n for n in FILE_ORDER
                 if (tmp_path / "other" / f"{n}.csv.gz").read_bytes() != (retailer / f"{n}.csv.gz").read_bytes()]
    assert {"customers", "orders", "order_lines", "events", "identities"} <= set(differing)


def test_headers_are_the_readme_contract(retailer: Path) -> None:
    documented = {m[1]: [c.split()[0].strip("*") for c in m[2].split(",")]
                  for m in re.finditer(r"^\| `(\w+)\.csv` \| (.+) \|$", README.read_text(), re.M)}
    for name in FILE_ORDER:
        with gzip.open(retailer / f"{name}.csv.gz", "rt") as f:
            assert next(csv.reader(f)) == documented[name], name


def test_counts(table: dict[str, list[dict[str, str]]]) -> None:
    assert len(table["customers"]) == CUSTOMERS
    assert len({r["customer_id"] for r in table["customers"]}) == CUSTOMERS
    assert len(table["retailers"]) == 1 and table["retailers"][0]["currency"] == "EUR"
    assert len(table["orders"]) > 5 * CUSTOMERS and len(table["order_lines"]) > 3 * len(table["orders"])
    assert {r["level"] for r in table["categories"]} == {"department", "category", "type"}
    assert Counter(r["order_id"] for r in table["order_lines"]).keys() == {r["order_id"] for r in table["orders"]}
    for name in FILE_ORDER:
        assert table[name], f"{name} is empty"


def test_every_reference_exists(table: dict[str, list[dict[str, str]]]) -> None:
    keys = {name: {r[key] for r in table[name]} for name, key in (
        ("customers", "customer_id"), ("products", "product_id"), ("stores", "store_id"), ("orders", "order_id"),
        ("categories", "category_id"), ("brands", "brand_id"), ("regions", "region_id"),
        ("campaigns", "campaign_id"), ("coupons", "coupon_id"), ("service_cases", "case_id"))}
    refs = [("order_lines", "order_id", "orders"), ("order_lines", "product_id", "products"),
            ("orders", "customer_id", "customers"), ("orders", "store_id", "stores"),
            ("products", "category_id", "categories"), ("products", "brand_id", "brands"),
            ("categories", "parent_id", "categories"), ("stores", "region_id", "regions"),
            ("store_products", "store_id", "stores"), ("store_products", "product_id", "products"),
            ("customers", "home_store_id", "stores"), ("identities", "customer_id", "customers"),
            ("consents", "customer_id", "customers"), ("events", "customer_id", "customers"),
            ("events", "product_id", "products"), ("events", "store_id", "stores"),
            ("service_cases", "customer_id", "customers"), ("service_cases", "order_id", "orders"),
            ("service_notes", "case_id", "service_cases"), ("campaign_recipients", "campaign_id", "campaigns"),
            ("campaign_recipients", "customer_id", "customers"), ("coupons", "campaign_id", "campaigns"),
            ("coupons", "product_id", "products"), ("coupon_redemptions", "coupon_id", "coupons"),
            ("coupon_redemptions", "customer_id", "customers")]
    for name, column, target in refs:
        missing = {r[column] for r in table[name] if r[column]} - keys[target]
        assert not missing, f"{name}.{column} -> {target}: {sorted(missing)[:3]}"
    product_types = {r["category_id"] for r in table["products"]}
    assert {r["level"] for r in table["categories"] if r["category_id"] in product_types} == {"type"}


def test_in_store_orders_only_hold_what_the_store_carries(table: dict[str, list[dict[str, str]]]) -> None:
    shelf = {(r["store_id"], r["product_id"]) for r in table["store_products"]}
    store_of = {r["order_id"]: r["store_id"] for r in table["orders"]
                if r["channel_id"] in ("pos", "kiosk") and r["kind"] == "purchase"}  # returns: anything bought
    sold = [(store_of[r["order_id"]], r["product_id"]) for r in table["order_lines"] if r["order_id"] in store_of]
    assert sold and all(pair in shelf for pair in sold)


def test_line_amounts_add_up_and_returns_are_negative(table: dict[str, list[dict[str, str]]]) -> None:
    kind = {r["order_id"]: r["kind"] for r in table["orders"]}
    for r in table["order_lines"]:
        q, unit = Decimal(r["quantity"]), Decimal(r["unit_price"])
        paid = abs(q) * unit - Decimal(r["discount"]) - Decimal(r["coupon_discount"])
        assert Decimal(r["amount"]) == (paid if kind[r["order_id"]] == "purchase" else -paid), r
        assert (q < 0) == (kind[r["order_id"]] == "return")
    assert 0 < sum(k == "return" for k in kind.values()) < 0.05 * len(kind)
    assert sum(Decimal(r["coupon_discount"]) > 0 for r in table["order_lines"]) == len(table["coupon_redemptions"])


def test_duplicate_profiles_share_an_email_or_phone(table: dict[str, list[dict[str, str]]]) -> None:
    holders = defaultdict(set)
    for r in table["identities"]:
        holders[(r["kind"], r["value"])].add(r["customer_id"])
    shared = {frozenset(c) for (kind, _), c in holders.items() if len(c) > 1}
    assert all(len(pair) == 2 for pair in shared)
    assert len(shared) == round(CUSTOMERS * 0.02)
    assert {kind for (kind, _), c in holders.items() if len(c) > 1} == {"email", "phone"}


def test_consumables_are_rebought_on_personal_cycles(table: dict[str, list[dict[str, str]]]) -> None:
    consumable = {r["product_id"] for r in table["products"] if r["is_consumable"] == "true"}
    order = {r["order_id"]: (r["customer_id"], datetime.fromisoformat(r["placed_at"]))
             for r in table["orders"] if r["kind"] == "purchase"}
    days = defaultdict(set)
    for r in table["order_lines"]:
        if r["product_id"] in consumable and r["order_id"] in order:
            customer, at = order[r["order_id"]]
            days[(customer, r["product_id"])].add(at.date())
    gaps = {pair: [(b - a).days for a, b in zip(sorted(d), sorted(d)[1:])] for pair, d in days.items() if len(d) >= 6}
    # a customer's cycle is regular (an unplanned Poisson buyer's gaps spread about as much as their mean)
    regular = {pair: g for pair, g in gaps.items() if statistics.pstdev(g) < 0.35 * statistics.mean(g)}
    assert len(regular) > CUSTOMERS / 10
    by_product = defaultdict(list)
    for (_, product), g in regular.items():
        by_product[product].append(statistics.median(g))
    assert any(max(m) >= 1.5 * min(m) for m in by_product.values() if len(m) > 2)  # cycles are personal


def test_some_customers_are_dormant_and_channels_are_mixed(table: dict[str, list[dict[str, str]]]) -> None:
    last = {}
    for r in table["orders"]:
        last[r["customer_id"]] = max(last.get(r["customer_id"], r["placed_at"]), r["placed_at"])
    end = max(last.values())
    dormant = [c for c, at in last.items()
               if datetime.fromisoformat(end) - datetime.fromisoformat(at) > timedelta(days=90)]
    assert 0.05 * len(last) < len(dormant) < 0.3 * len(last)
    assert {r["channel_id"] for r in table["orders"]} == {"pos", "web", "kiosk", "app"}
    assert {r["kind"] for r in table["events"]} == {"view", "cart", "wishlist", "search"}
    assert {r["channel_id"] for r in table["events"]} == {"web", "kiosk", "app"}
    assert all(r["store_id"] for r in table["events"] if r["channel_id"] == "kiosk")
    assert all(r["query"] and not r["product_id"] for r in table["events"] if r["kind"] == "search")


def test_consents_are_granted_declined_and_withdrawn(table: dict[str, list[dict[str, str]]]) -> None:
    seen = Counter((r["purpose"], r["granted"], r["source"]) for r in table["consents"])
    assert seen[("marketing", "false", "unsubscribe_link")] > 0
    assert seen[("marketing", "true", "signup_form")] > 0
    assert {p for p, _, _ in seen} == {"marketing", "personalisation", "profiling"}
    keys = [(r["customer_id"], r["purpose"], r["medium"]) for r in table["consents"]]
    assert len(keys) == len(set(keys))


def test_times_carry_an_offset(table: dict[str, list[dict[str, str]]]) -> None:
    for name, column in (("orders", "placed_at"), ("events", "occurred_at"), ("customers", "created_at"),
                         ("service_notes", "at"), ("consents", "updated_at"), ("identities", "since")):
        assert all(datetime.fromisoformat(r[column]).utcoffset() == timedelta(0) for r in table[name]), name


def test_a_small_generated_retailer_loads_without_rejects(graph: Graph, tmp_path: Path) -> None:
    # given
    generate_retailer(tmp_path / "gen", 200, 3, progress=False)
    expected = {name: len(rows(tmp_path / "gen", name)) for name in FILE_ORDER}
    # when
    summary = load_dir(graph, tmp_path / "gen", rejects_dir=tmp_path / "rejects", progress=False)
    # then
    assert summary.rejected == 0
    counts = {label: graph.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]
              for label in ("Customer", "Order", "Event", "Product", "Store", "ServiceCase", "Campaign")}
    assert counts == {"Customer": 200, "Order": expected["orders"], "Event": expected["events"],
                      "Product": expected["products"], "Store": expected["stores"],
                      "ServiceCase": expected["service_cases"], "Campaign": expected["campaigns"]}
    lines = graph.read("MATCH (:Order)-[l:CONTAINS]->(:Product) RETURN count(l) AS n")[0]["n"]
    assert lines == expected["order_lines"]


def test_product_popularity_is_a_power_law(table: dict[str, list[dict[str, str]]]) -> None:
    sold = Counter(r["product_id"] for r in table["order_lines"])
    ranked = sorted(sold.values(), reverse=True)
    top = ranked[: max(1, len(table["products"]) // 20)]
    assert sum(top) > 0.3 * sum(ranked)  # the top 5% of the catalogue sells about a third
    # the slope of log(sales) against log(rank) over ranks 2..100 is that of Zipf (about -1), not flat or cliff-like
    xs = [math.log(r) for r in range(2, 101)]
    ys = [math.log(ranked[r - 1]) for r in range(2, 101)]
    slope = statistics.linear_regression(xs, ys).slope
    assert -1.6 < slope < -0.5, slope


def test_case_notes_are_in_time_order_and_only_closed_cases_end_closed(table: dict[str, list[dict[str, str]]]) -> None:
    status = {r["case_id"]: r["status"] for r in table["service_cases"]}
    by_case: dict[str, list[dict[str, str]]] = {}
    for note in table["service_notes"]:
        by_case.setdefault(note["case_id"], []).append(note)
    assert by_case
    for case_id, notes in by_case.items():
        assert [n["at"] for n in notes] == sorted(n["at"] for n in notes), case_id
        closing = [n["text"] == "Resolved; case closed." for n in notes]
        assert closing == [False] * (len(notes) - 1) + [status[case_id] == "closed"], case_id
