"""Saved segments: filter, count, page, export, and counts that follow customers' changes."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from analytics import recompute, refresh_customer
from analytics.export import export_segment
from graph import segments
from graph.driver import Graph
from graph.segments import SegmentFilter

AS_OF = datetime(2024, 6, 30, 18, tzinfo=timezone.utc)
TODAY = AS_OF.date()


@pytest.fixture
def people(graph: Graph, shop: Any) -> Graph:
    """Five customers with demographics, tags, channels and spends that each filter field can tell apart."""
    shop.add("regions", region_id="north", name="North")
    shop.add("stores", store_id="s1", retailer_id="r1", name="North store", region_id="north")
    shop.customer("p1", gender="female", age_band="25-34", income_band="50-74K", tags="vip;newsletter",
                  home_store_id="s1")
    shop.customer("p2", gender="male", age_band="25-34", income_band="15-24K", tags="newsletter")
    shop.customer("p3", gender="female", age_band="65+", income_band="50-74K")
    shop.customer("p4", gender="male", age_band="45-54")
    shop.customer("p5", gender="female", age_band="25-34")
    for k in range(10):
        shop.order("p1", TODAY - timedelta(days=3 + 7 * k), "50.00", products=("cheese",))
    shop.order("p2", TODAY - timedelta(days=4), "5.00", channel="web")
    shop.order("p3", TODAY - timedelta(days=200), "12.00", products=("teddy",))
    shop.order("p4", TODAY - timedelta(days=5), "8.00", products=("milk",), channel="app")
    shop.load(graph)
    recompute(graph, as_of=AS_OF)
    return graph


@pytest.mark.parametrize(("raw", "expected"), [
    ({}, ["p1", "p2", "p3", "p4", "p5"]),
    ({"region_ids": ["north"]}, ["p1"]),
    ({"age_bands": ["25-34"], "genders": ["female"]}, ["p1", "p5"]),
    ({"income_bands": ["50-74K"]}, ["p1", "p3"]),
    ({"tiers": ["core"]}, ["p1"]),
    ({"lifecycle_stages": ["churned"]}, ["p3"]),
    ({"rfm_segments": ["champions"]}, ["p1"]),
    ({"tags": ["newsletter"]}, ["p1", "p2"]),
    ({"channels": ["web", "app"]}, ["p2", "p4"]),
    ({"bought_category_ids": ["dairy"], "bought_from": "2024-06-20"}, ["p1", "p4"]),
    ({"bought_product_ids": ["teddy"]}, ["p3"]),
    ({"spend_min_minor": 800, "spend_max_minor": 1200}, ["p3", "p4"]),
])
def test_each_filter_field_selects_the_right_customers(people: Graph, raw: dict[str, Any], expected: list[str]) -> None:
    f = SegmentFilter.from_dict(raw)
    assert [r["customer_id"] for r in segments.page_of_matching(people, f)] == expected
    assert segments.count_matching(people, f) == len(expected)


def test_saved_segment_is_counted_paged_updated_and_deleted(people: Graph) -> None:
    saved = segments.save_segment(people, "Young", SegmentFilter(age_bands=["25-34"]))
    assert (saved.name, saved.member_count) == ("Young", 3)
    first = segments.page_of_matching(people, saved.filter, limit=2)
    rest = segments.page_of_matching(people, saved.filter, after=first[-1]["customer_id"], limit=2)
    assert [r["customer_id"] for r in first + rest] == ["p1", "p2", "p5"]
    assert [s.segment_id for s in segments.segments_of_customer(people, "p2")] == [saved.segment_id]
    updated = segments.save_segment(people, "Young women", SegmentFilter(age_bands=["25-34"], genders=["female"]),
                                    saved.segment_id)
    assert updated.member_count == 2 and segments.segments_of_customer(people, "p2") == []
    assert [s.name for s in segments.all_segments(people)] == ["Young women"]
    assert segments.delete_segment(people, saved.segment_id) is True
    assert segments.segment_by_id(people, saved.segment_id) is None
    assert segments.delete_segment(people, saved.segment_id) is False


def test_counts_follow_a_customer_who_changes(people: Graph, shop: Any) -> None:
    # given a segment of churned customers holding p3
    churned = segments.save_segment(people, "Churned", SegmentFilter(lifecycle_stages=["churned"]))
    assert churned.member_count == 1
    # when p3 buys again and only p3 is refreshed
    shop.order("p3", TODAY, "3.00")
    shop.load(people)
    refresh_customer(people, "p3", as_of=AS_OF)
    # then the segment is empty again
    assert segments.segment_by_id(people, churned.segment_id).member_count == 0  # type: ignore[union-attr]


@pytest.fixture
def campaign(people: Graph, shop: Any) -> Graph:
    """Customers tagged `camp` with e-mail and phone and different marketing consents."""
    contacts = {"phone": "+4915112345", "tags": "camp"}
    shop.customer("c1", email="c1@example.com", **contacts)   # e-mail granted, sms withdrawn
    shop.customer("c2", email="c2@example.com", **contacts)   # granted on any medium
    shop.customer("c3", email="c3@example.com", tags="camp")  # sms granted, but no phone
    shop.customer("c4", email="c4@example.com", **contacts)   # e-mail withdrawn, sms granted
    shop.customer("c5", email="c5@example.com", **contacts)   # no consent recorded
    for customer_id, medium, granted in [("c1", "email", True), ("c1", "sms", False), ("c2", "any", True),
                                         ("c3", "sms", True), ("c4", "email", False), ("c4", "sms", True)]:
        shop.consent(customer_id, "marketing", medium, granted)
    shop.load(people)
    return people


def _contacts(graph: Graph, medium: str | None) -> list[tuple[str, str | None, str | None]]:
    rows = segments.stream_matching(graph, SegmentFilter(tags=["camp"]), purpose="marketing", medium=medium)
    return [(r["customer_id"], r["email"], r["phone"]) for r in rows]


def test_export_for_a_medium_holds_only_its_contact_of_who_granted_it(campaign: Graph) -> None:
    phone = "+4915112345"
    assert _contacts(campaign, "sms") == [("c2", None, phone), ("c4", None, phone)]
    assert _contacts(campaign, "email") == [("c1", "c1@example.com", None), ("c2", "c2@example.com", None)]
    assert _contacts(campaign, None) == [("c2", "c2@example.com", phone), ("c3", None, None), ("c5", None, None)]
    with pytest.raises(ValueError, match="email or sms"):
        _contacts(campaign, "post")


def test_export_neutralises_formulas_in_text_cells(people: Graph, shop: Any) -> None:
    # given customers whose names, e-mail and stored figures start like spreadsheet formulas
    shop.customer("x1", first_name='=HYPERLINK("http://x")', last_name="+SUM(1)", email="@x@example.com",
                  phone="+4915112345", tags="camp")
    shop.customer("x2", first_name="-2+3", tags="camp")
    shop.customer("x3", last_name="O'Neil", tags="camp")
    shop.consent("x1", "marketing", "any", True)
    shop.load(people)
    people.write("MATCH (c:Customer {customer_id: 'x2'}) SET c.last_name = $tab, c.rfm_segment = '=1+1', "
                 "c.rfm_monetary_minor = -250", tab="\tTab")
    people.write("MATCH (c:Customer {customer_id: 'x3'}) SET c.first_name = $cr", cr="\rCR")
    saved = segments.save_segment(people, "Camp", SegmentFilter(tags=["camp"]))
    out = io.StringIO()
    # when
    export_segment(people, saved.segment_id, out)
    # then text cells are quoted, while ids, the phone number and amounts stay as they are
    rows = {r["customer_id"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert (rows["x1"]["first_name"], rows["x1"]["last_name"]) == ("'=HYPERLINK(\"http://x\")", "'+SUM(1)")
    assert (rows["x1"]["email"], rows["x1"]["phone"]) == ("'@x@example.com", "+4915112345")
    assert (rows["x2"]["first_name"], rows["x2"]["last_name"]) == ("'-2+3", "'\tTab")
    assert (rows["x2"]["rfm_segment"], rows["x2"]["spend_minor"]) == ("'=1+1", "-250")
    assert (rows["x3"]["first_name"], rows["x3"]["last_name"], rows["x3"]["retailer_id"]) == ("'\rCR", "O'Neil", "r1")


def _save_in_parallel(graph: Graph, segment_id: str, filters: list[SegmentFilter]) -> None:
    start = threading.Barrier(len(filters))

    def save(f: SegmentFilter) -> None:
        start.wait()
        segments.save_segment(graph, "Race", f, segment_id)
    with ThreadPoolExecutor(len(filters)) as pool:
        list(pool.map(save, filters))


def test_parallel_saves_of_one_segment_leave_the_members_of_the_stored_filter(people: Graph, shop: Any) -> None:
    # given 300 more customers, half of them men
    for n in range(300):
        shop.customer(f"g{n:03d}", gender="male" if n % 2 else "female")
    shop.load(people)
    saved = segments.save_segment(people, "Race", SegmentFilter())
    men, women = SegmentFilter(genders=["male"]), SegmentFilter(genders=["female"])
    for _ in range(12):
        # when two updates of the segment run at once
        _save_in_parallel(people, saved.segment_id, [men, women])
        # then its count and members are those of the filter it holds
        stored = segments.segment_by_id(people, saved.segment_id)
        assert stored is not None
        members = people.read("MATCH (c:Customer)-[:MEMBER_OF]->(:Segment {segment_id: $id}) RETURN count(c) AS n",
                              id=saved.segment_id)[0]["n"]
        assert stored.member_count == members == segments.count_matching(people, stored.filter), stored.filter


def test_a_customer_refreshed_while_the_segment_changes_ends_as_its_stored_filter_says(people: Graph) -> None:
    # given a segment of women, and p1 (a woman) in it
    saved = segments.save_segment(people, "Flip", SegmentFilter(genders=["female"]))
    filters = [SegmentFilter(genders=["male"]), SegmentFilter(genders=["female"])]
    for n in range(12):
        # when the segment flips between men and women while p1 alone is re-tested
        start = threading.Barrier(2)

        def save() -> None:
            start.wait()
            segments.save_segment(people, "Flip", filters[n % 2], saved.segment_id)

        def refresh() -> None:
            start.wait()
            segments.refresh_customer_memberships(people, "p1")
        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(save), pool.submit(refresh)]:
                done.result()
        # then p1's membership and the count follow the filter the segment holds
        stored = segments.segment_by_id(people, saved.segment_id)
        assert stored is not None
        member = [s.segment_id for s in segments.segments_of_customer(people, "p1")] == [saved.segment_id]
        assert member == (stored.filter.genders == ["female"])
        assert stored.member_count == segments.count_matching(people, stored.filter)
