"""Saved segments: filter, count, page, export, and counts that follow customers' changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from analytics import recompute, refresh_customer
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


def test_export_keeps_out_who_withdrew_for_the_purpose(people: Graph, shop: Any) -> None:
    shop.consent("p2", "marketing", "email", False)
    shop.load(people)
    f = SegmentFilter(tags=["newsletter"])
    assert [r["customer_id"] for r in segments.stream_matching(people, f, purpose="marketing", medium="email")] == ["p1"]
    assert [r["customer_id"] for r in segments.stream_matching(people, f)] == ["p1", "p2"]
