"""Precomputed next-best-offers on the synthetic shop: known answers, business rules, versions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis

from recsys import jobs, keys, offers


def test_withheld_item_comes_back_first(served, cache: redis.Redis) -> None:
    listed = offers.read_next_best_offers(cache, "shop:target", limit=5)
    first = listed.offers[0]
    assert first.product_id == "shop:a4"
    assert first.reason_code in ("bought_together", "similar_to_purchase")
    assert first.source_product_id in served.group_a[:3]
    assert f"Snack {first.source_product_id[-2:]}" in first.reason


def test_recent_purchases_are_suppressed_and_shown_why(served, cache: redis.Redis) -> None:
    listed = offers.read_next_best_offers(cache, "shop:target", limit=10)
    offered = {o.product_id for o in listed.offers}
    assert offered.isdisjoint(served.group_a[:3])
    assert {s.product_id: s.reason for s in listed.suppressed} == {
        p: "bought 2 days ago and not due yet" for p in served.group_a[:3]}


def test_due_repurchase_is_offered_although_recent(served, cache: redis.Redis) -> None:
    listed = offers.read_next_best_offers(cache, "shop:regular", limit=10)
    first = listed.offers[0]
    assert (first.product_id, first.reason_code) == (served.bread, "repurchase_due")
    assert first.reason == "You buy Bread about every 2 days: time to stock up again"
    assert "shop:a5" not in {o.product_id for o in listed.offers}
    assert [(s.product_id, s.reason) for s in listed.suppressed] == [("shop:a5", "bought yesterday and not due yet")]


def test_no_consent_gets_store_popular_items_and_says_so(served, cache: redis.Redis) -> None:
    listed = offers.read_next_best_offers(cache, "shop:private", limit=5)
    assert {o.reason_code for o in listed.offers} == {"no_consent"}
    assert all("no consent to personalisation" in o.reason for o in listed.offers)
    popular = offers.popular_products(cache, store_id="shop:s1", limit=5)
    assert [o.product_id for o in listed.offers] == [o.product_id for o in popular]
    assert listed.suppressed == []


def test_at_a_kiosk_only_what_the_store_carries(served, cache: redis.Redis) -> None:
    listed = offers.read_next_best_offers(cache, "shop:kiosker", channel="kiosk", store_id="shop:s2", limit=5)
    assert len(listed.offers) == 5
    assert {o.product_id for o in listed.offers} <= served.kiosk_carries
    assert {s.product_id for s in listed.suppressed} >= {"shop:a1", "shop:a2"}
    assert all(s.reason == "not sold at store shop:s2" for s in listed.suppressed)
    on_the_web = offers.read_next_best_offers(cache, "shop:kiosker", channel="web", store_id="shop:s2", limit=5)
    assert on_the_web.offers[0].product_id in ("shop:a1", "shop:a2")


def test_popular_at_a_kiosk_for_anonymous_visitors(served, cache: redis.Redis) -> None:
    popular = offers.popular_products(cache, store_id="shop:s2", channel="kiosk", limit=5)
    assert len(popular) == 5
    assert {o.product_id for o in popular} <= served.kiosk_carries


def test_every_list_records_model_version_time_and_source(served, cache: redis.Redis) -> None:
    listed = offers.read_next_best_offers(cache, "shop:target")
    assert (listed.model_version, listed.source, listed.fallback_used) == (served.model_version, "model", False)
    assert listed.computed_at == served.now.isoformat()


def test_similar_products_name_their_source(served, cache: redis.Redis) -> None:
    similar = offers.similar_products(cache, "shop:a1", limit=3)
    assert {o.product_id for o in similar} <= set(served.group_a)
    assert all(o.reason == "Often bought with Snack a1" for o in similar)


def test_unknown_customer_gets_popular_items(served, cache: redis.Redis) -> None:
    listed = offers.read_next_best_offers(cache, "nobody", store_id="shop:s1", limit=3)
    assert (listed.source, listed.fallback_used, len(listed.offers)) == ("fallback", True, 3)
    assert {o.reason_code for o in listed.offers} == {"popular_at_store"}


def test_new_version_switches_and_rolls_back(shop, cache: redis.Redis) -> None:
    first = jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version="v1")
    later = shop.now + timedelta(hours=1)
    jobs.precompute(shop.graph, cache, shop.models_dir, now=later, version="v2")
    assert offers.versions(cache) == {"current": "v2", "previous": "v1"}
    assert offers.read_next_best_offers(cache, "shop:target").computed_at == later.isoformat()
    assert offers.rollback(cache) == "v1"
    assert offers.read_next_best_offers(cache, "shop:target").computed_at == shop.now.isoformat()
    assert first.customers == 52


def test_only_current_and_previous_versions_are_kept(shop, cache: redis.Redis) -> None:
    for version in ("v1", "v2", "v3"):
        jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version=version)
    assert offers.versions(cache) == {"current": "v3", "previous": "v2"}
    assert not list(cache.scan_iter(match=keys.version_pattern("v1")))
    assert cache.exists(keys.customer_offers("shop:target", "v2"))


def test_failed_run_leaves_the_previous_version_served(shop, cache: redis.Redis) -> None:
    jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version="v1")

    def crash(_: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version="v2", progress=crash)
    assert offers.versions(cache) == {"current": "v1"}
    assert not list(cache.scan_iter(match=keys.version_pattern("v2")))
    assert offers.read_next_best_offers(cache, "shop:target").offers[0].product_id == "shop:a4"
