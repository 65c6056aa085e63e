"""Precomputed next-best-offers on the synthetic shop: known answers, business rules, versions, round trips."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
import redis
from scipy.sparse import csr_matrix

from c360.connect import Targets
from recsys import jobs, keys, model, offers, realtime
from recsys import precompute as precompute_module
from recsys.comparison import WEIGHTS
from recsys.hybrid import HybridSettings
from recsys.precompute import Ranking, precompute
from tests.recsys.conftest import CARDS

KIOSK = {"channel": "kiosk", "store_id": "shop:s2", "limit": 10}   # the kiosker's list loses a1, a2 and needs a top-up


class Counted(redis.Connection):
    """A connection that counts the round trips a request waits for: one per command, or per pipeline, sent from
    the main thread (not a connection's handshake, nor what a reader reads aside on a thread of its own)."""

    sent = 0
    connecting = False

    def on_connect_check_health(self, check_health: bool = True) -> None:
        self.connecting = True
        try:
            super().on_connect_check_health(check_health)
        finally:
            self.connecting = False

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self.connecting and threading.current_thread() is threading.main_thread():
            Counted.sent += 1
        super().send_packed_command(command, check_health)


@pytest.fixture
def reader(cache: redis.Redis) -> offers.OfferReader:
    return offers.OfferReader(cache)


@pytest.fixture
def counted(targets: Targets, cache: redis.Redis) -> Iterator[offers.OfferReader]:
    """A reader whose Redis client counts round trips in `Counted.sent`."""
    client = redis.Redis.from_url(targets.redis_url, connection_class=Counted)
    yield offers.OfferReader(client)
    client.close()


def round_trips(read: Callable[[], Any]) -> tuple[Any, int]:
    """What `read()` returns and the Redis round trips it took."""
    Counted.sent = 0
    return read(), Counted.sent


def test_withheld_item_comes_back_first(served, reader: offers.OfferReader) -> None:
    listed = reader.next_best_offers("shop:target", limit=5)
    first = listed.offers[0]
    assert first.product_id == "shop:a4"
    assert first.reason_code in ("bought_together", "similar_to_purchase")
    assert first.source_product_id in served.group_a[:3]
    assert f"Snack {first.source_product_id[-2:]}" in first.reason


def test_recent_purchases_are_suppressed_and_shown_why(served, reader: offers.OfferReader) -> None:
    listed = reader.next_best_offers("shop:target", limit=10)
    offered = {o.product_id for o in listed.offers}
    assert offered.isdisjoint(served.group_a[:3])
    assert {s.product_id: s.reason for s in listed.suppressed} == {
        p: "bought 2 days ago and not due yet" for p in served.group_a[:3]}


def test_due_repurchase_is_offered_although_recent(served, reader: offers.OfferReader) -> None:
    listed = reader.next_best_offers("shop:regular", limit=10)
    first = listed.offers[0]
    assert (first.product_id, first.reason_code) == (served.bread, "repurchase_due")
    assert first.reason == "You buy Bread about every 2 days: time to stock up again"
    assert "shop:a5" not in {o.product_id for o in listed.offers}
    assert [(s.product_id, s.reason) for s in listed.suppressed] == [("shop:a5", "bought yesterday and not due yet")]


def test_no_consent_gets_store_popular_items_and_says_so(served, reader: offers.OfferReader) -> None:
    listed = reader.next_best_offers("shop:private", limit=5)
    assert {o.reason_code for o in listed.offers} == {"no_consent"}
    assert all("no consent to personalisation" in o.reason for o in listed.offers)
    popular = reader.popular(store_id="shop:s1", limit=5)
    assert [o.product_id for o in listed.offers] == [o.product_id for o in popular]
    assert listed.suppressed == []
    assert listed.fallback_used


def test_at_a_kiosk_only_what_the_store_carries(served, reader: offers.OfferReader) -> None:
    listed = reader.next_best_offers("shop:kiosker", channel="kiosk", store_id="shop:s2", limit=5)
    assert len(listed.offers) == 5
    assert {o.product_id for o in listed.offers} <= served.kiosk_carries
    assert {s.product_id for s in listed.suppressed} >= {"shop:a1", "shop:a2"}
    assert all(s.reason == "not sold at store shop:s2" for s in listed.suppressed)
    on_the_web = reader.next_best_offers("shop:kiosker", channel="web", store_id="shop:s2", limit=5)
    assert on_the_web.offers[0].product_id in ("shop:a1", "shop:a2")


def test_only_offers_that_would_have_been_shown_count_as_held_back(served, reader: offers.OfferReader) -> None:
    stored = [o.product_id for o in reader.next_best_offers("shop:kiosker", channel="web", limit=50).offers]
    shown = reader.next_best_offers("shop:kiosker", channel="kiosk", store_id="shop:s2", limit=1)
    first_carried = next(i for i, p in enumerate(stored) if p in served.kiosk_carries)
    assert [s.product_id for s in shown.suppressed] == stored[:first_carried]


def test_popular_at_a_kiosk_for_anonymous_visitors(served, reader: offers.OfferReader) -> None:
    popular = reader.popular(store_id="shop:s2", channel="kiosk", limit=5)
    assert len(popular) == 5
    assert {o.product_id for o in popular} <= served.kiosk_carries


def test_popular_lists_from_a_sparse_row_are_those_of_the_dense_one() -> None:
    rng = np.random.default_rng(4)
    dense = rng.choice(np.array([0.0, 0.0, 0.3, 0.7, 1.0], np.float32), size=(5, 400))   # many ties, short rows
    dense[2] = 0.0
    rows = csr_matrix(dense)
    product_ids = np.array([f"p{i}" for i in range(400)], dtype=object)
    for row in range(5):
        sold = slice(rows.indptr[row], rows.indptr[row + 1])
        from_sparse = precompute_module._top_of(rows.data[sold], product_ids, rows.indices[sold])
        assert from_sparse == precompute_module._top_of(dense[row], product_ids)
        assert len(from_sparse) == (0 if row == 2 else precompute_module.POPULAR_SIZE)


def test_every_list_records_model_version_time_and_source(served, reader: offers.OfferReader) -> None:
    listed = reader.next_best_offers("shop:target")
    assert (listed.model_version, listed.source, listed.fallback_used) == (served.model_version, "model", False)
    assert listed.computed_at == served.now.isoformat()


def test_stored_scores_keep_five_decimals(served, cache: redis.Redis) -> None:
    stored = offers.decode_list(cache.get(keys.customer_offers("shop:target", offers.current_version(cache))))
    scores = [offer[1] for offer in stored["offers"]]
    assert scores and all(score == round(score, 5) for score in scores)


def test_lists_are_stored_as_lz4_frames_and_plain_json_ones_still_read(served, cache: redis.Redis,
                                                                        reader: offers.OfferReader) -> None:
    key = keys.customer_offers("shop:target", offers.current_version(cache))
    stored = cache.get(key)
    assert stored.startswith(offers.LZ4_FRAME)
    listed = reader.next_best_offers("shop:target")
    plain = json.dumps(offers.decode_list(stored)).encode()
    assert len(stored) < len(plain) / 2
    cache.set(key, plain)        # as stored before lists were compressed
    assert reader.next_best_offers("shop:target") == listed


def test_similar_lists_keep_each_products_best_in_order_and_break_ties_by_stored_order() -> None:
    rng = np.random.default_rng(2)
    dense = rng.choice(np.array([0.0, 0.1, 0.2, 0.5, 0.9], np.float32), size=(60, 60))   # many ties
    dense[7] = 0.0                                       # a product without neighbours is skipped
    neighbours = csr_matrix(dense)
    product_ids = np.array([f"p{i}" for i in range(60)], dtype=object)
    found = {p: list(entries) for p, entries in precompute_module._similar_lists(neighbours, product_ids)}
    assert "p7" not in found and len(found) == 59
    for row in range(60):
        if row == 7:
            continue
        start, end = neighbours.indptr[row], neighbours.indptr[row + 1]
        order = np.argsort(-neighbours.data[start:end], kind="stable")[:precompute_module.SIMILAR_SIZE] + start
        assert found[product_ids[row]] == [(product_ids[neighbours.indices[i]], round(float(neighbours.data[i]), 6))
                                          for i in order]


def test_similar_products_name_their_source(served, reader: offers.OfferReader) -> None:
    similar = reader.similar("shop:a1", limit=3)
    assert {o.product_id for o in similar} <= set(served.group_a)
    assert all(o.reason == "Often bought with Snack a1" for o in similar)


def test_unknown_customer_gets_popular_items(served, reader: offers.OfferReader) -> None:
    listed = reader.next_best_offers("nobody", store_id="shop:s1", limit=3)
    assert (listed.source, listed.fallback_used, len(listed.offers)) == ("fallback", True, 3)
    assert {o.reason_code for o in listed.offers} == {"popular_at_store"}


def test_new_version_switches_and_rolls_back(shop, cache: redis.Redis, reader: offers.OfferReader) -> None:
    first = jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version="v1")
    later = shop.now + timedelta(hours=1)
    jobs.precompute(shop.graph, cache, shop.models_dir, now=later, version="v2")
    assert offers.versions(cache) == {"current": "v2", "previous": "v1"}
    assert reader.next_best_offers("shop:target").computed_at == later.isoformat()
    assert offers.rollback(cache) == "v1"
    assert reader.next_best_offers("shop:target").computed_at == shop.now.isoformat()
    assert first.customers == 52


def test_only_current_and_previous_versions_are_kept(shop, cache: redis.Redis) -> None:
    for version in ("v1", "v2", "v3"):
        jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version=version)
    assert offers.versions(cache) == {"current": "v3", "previous": "v2"}
    assert not list(cache.scan_iter(match=keys.version_pattern("v1")))
    assert cache.exists(keys.customer_offers("shop:target", "v2"))


def test_failed_run_leaves_the_previous_version_served(shop, cache: redis.Redis, reader: offers.OfferReader) -> None:
    jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version="v1")

    def crash(_: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version="v2", progress=crash)
    assert offers.versions(cache) == {"current": "v1"}
    assert not list(cache.scan_iter(match=keys.version_pattern("v2")))
    assert reader.next_best_offers("shop:target").offers[0].product_id == "shop:a4"


def test_a_kiosk_read_takes_one_round_trip(served, counted: offers.OfferReader) -> None:
    first, cold = round_trips(lambda: counted.next_best_offers("shop:kiosker", **KIOSK))
    assert first.fallback_used and {s.reason for s in first.suppressed} >= {"not sold at store shop:s2"}
    assert {o.product_id for o in first.offers} <= served.kiosk_carries
    for _ in range(3):
        assert round_trips(lambda: counted.next_best_offers("shop:kiosker", **KIOSK)) == (first, 1)
    assert first == offers.read_next_best_offers(counted.cache, "shop:kiosker", **KIOSK)
    assert round_trips(lambda: counted.popular(store_id="shop:s2", channel="kiosk"))[1] == 1
    counted.similar("shop:a1")
    similar, trips = round_trips(lambda: counted.similar("shop:a1"))
    assert trips == 1 and similar and all(o.reason == "Often bought with Snack a1" for o in similar)


def test_a_reader_holding_few_lists_gives_the_same_answers(served, reader: offers.OfferReader) -> None:
    small = offers.OfferReader(reader.cache, max_items=8)
    for store_id in ("shop:s1", "shop:s2", "shop:s1", "shop:s2"):
        for channel in ("kiosk", "web"):
            asked = {"channel": channel, "store_id": store_id, "limit": 10}
            assert small.next_best_offers("shop:kiosker", **asked) == reader.next_best_offers("shop:kiosker", **asked)
    assert small.local[small.version].items <= 8 < reader.local[reader.version].items


def test_the_reader_follows_switches_and_realtime_rewrites(shop, cache: redis.Redis,
                                                           counted: offers.OfferReader) -> None:
    def read() -> offers.OfferList:
        return counted.next_best_offers("shop:kiosker", **KIOSK)

    jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now, version="v1")
    assert read().computed_at == shop.now.isoformat()
    later = shop.now + timedelta(hours=1)
    jobs.precompute(shop.graph, cache, shop.models_dir, now=later, version="v2")
    switched, trips = round_trips(read)
    # current + list, the list again, v2's lists (v2's names are read on a thread while v1's stand in)
    assert (switched.computed_at, trips) == (later.isoformat(), 3)
    counted.local["v2"].reading.join()   # type: ignore[union-attr]
    assert round_trips(read) == (switched, 1)
    # the worker rewrites the list in place in the current version: seen on the very next read
    cache.set(keys.customer_offers("shop:kiosker", "v2"), offers.encode_list(
        "rt", later.isoformat(), "realtime", [[shop.bread, 0.9, "repurchase_due", None, 3]], []))
    rewritten, trips = round_trips(read)
    assert (rewritten.source, rewritten.model_version, trips) == ("realtime", "rt", 1)
    assert rewritten.offers[0].reason == "You buy Bread about every 3 days: time to stock up again"
    assert offers.rollback(cache) == "v1"
    restored, trips = round_trips(read)
    assert (restored.computed_at, trips) == (shop.now.isoformat(), 2)   # v1's data is still held locally


def hand_written_version(cache: redis.Redis, version: str, names: dict[str, str], listed: list[str]) -> None:
    cache.hset(keys.product_names(version), mapping=names)
    cache.set(keys.customer_offers("hand:c1", version), offers.encode_list(
        "hand", "2024-06-01T08:00:00+00:00", "model", [[p, 1.0, "buy_again", None, None] for p in listed], []))
    offers.switch(cache, version)


def test_after_a_switch_the_previous_names_stand_in_while_the_new_ones_are_read_aside(
        cache: redis.Redis, reader: offers.OfferReader, monkeypatch) -> None:
    """No request waits for a new version's names; a product the previous version does not name is read then."""
    hand_written_version(cache, "hand-1", {"hand:tea": "Tea"}, ["hand:tea"])
    assert [o.reason for o in reader.next_best_offers("hand:c1").offers] == ["You often buy Tea"]
    held_back, read_names = threading.Event(), offers._VersionData._read_names
    monkeypatch.setattr(offers._VersionData, "_read_names",
                        lambda self, client: held_back.wait(10.0) and read_names(self, client))
    hand_written_version(cache, "hand-2", {"hand:tea": "Green tea", "hand:kettle": "Kettle"},
                         ["hand:tea", "hand:kettle"])
    assert [o.reason for o in reader.next_best_offers("hand:c1").offers] == [
        "You often buy Tea", "You often buy Kettle"]           # hand-1's name, and the new product's own
    held_back.set()
    reader.local["hand-2"].reading.join()   # type: ignore[union-attr]
    assert [o.reason for o in reader.next_best_offers("hand:c1").offers] == [
        "You often buy Green tea", "You often buy Kettle"]


def test_precompute_maps_every_identity_to_its_customer(served, reader: offers.OfferReader) -> None:
    assert {card: reader.identity_holder("loyalty_card", card) for card in CARDS} == CARDS
    assert reader.identity_holder("loyalty_card", "no-such-card") is None
    assert reader.identity_holder("email", "card-kiosker") is None


@pytest.mark.parametrize(("workers", "customers", "size", "threads"), [
    (2, 2_469, 618, 2), (2, 2_000, 1_000, 2), (2, 1_000, 500, 2), (8, 3_500, 438, 8), (3, 7_000, 778, 3),
    (1, 98_063, 991, 1), (2, 98_063, 981, 2), (4, 3, 1, 3), (4, 0, 1, 1),
])
def test_ranking_batches_are_even_rounds_of_one_per_thread(workers: int, customers: int, size: int,
                                                           threads: int) -> None:
    ranking = Ranking(workers, batch=1_000)
    assert (ranking.size(customers), ranking.threads(customers)) == (size, threads)


def test_lists_ranked_by_several_threads_are_those_ranked_by_one(shop, cache: redis.Redis) -> None:
    artifacts = {"shop": model.load(shop.models_dir / "shop")}
    one = precompute(shop.graph, cache, artifacts, "v-one", shop.now)
    several = precompute(shop.graph, cache, artifacts, "v-several", shop.now, workers=2, batch=2)
    assert one.customers == several.customers > 2 * 10
    assert (one.ranking_threads, several.ranking_threads) == (1, 2)

    def lists(version: str) -> dict[str, tuple[list[Any], list[float], list[Any]]]:
        """customer -> (offers without scores, scores, suppressed)."""
        found = {}
        for key in cache.scan_iter(match=keys.customer_offers("*", version)):
            stored = offers.decode_list(cache.get(key) or b"{}")
            found[key.decode().removesuffix(version)] = (
                [o[:1] + o[2:] for o in stored["offers"]], [o[1] for o in stored["offers"]], stored["suppressed"])
        return found

    by_one, by_several = lists("v-one"), lists("v-several")
    assert by_one.keys() == by_several.keys()
    for customer, (offered, scores, suppressed) in by_one.items():
        assert (by_several[customer][0], by_several[customer][2]) == (offered, suppressed)
        assert by_several[customer][1] == pytest.approx(scores, abs=1e-4)   # float32 sums in another order


def test_weights_tuned_at_training_are_stored_with_the_model_and_served(shop, cache: redis.Redis,
                                                                        reader: offers.OfferReader,
                                                                        tmp_path) -> None:  # type: ignore[no-untyped-def]
    tuned = jobs.train(shop.graph, tmp_path / "tuned", now=shop.now, tune_days=7)[0].artifact
    assert set(tuned.weights) == set(WEIGHTS)
    assert model.load(tmp_path / "tuned" / "shop").weights == tuned.weights
    # weights that leave only popularity: precompute and the worker must both follow them
    popular_only = replace(tuned, weights={**tuned.weights, "repurchase": 0.0, "collaborative": 0.0,
                                           "neighbours": 0.0, "peers_new": 0.0, "peers_bought": 0.0,
                                           "popular": 1.0})
    model.save(popular_only, tmp_path / "popular" / "shop")
    jobs.precompute(shop.graph, cache, tmp_path / "popular", now=shop.now)
    assert {o.reason_code for o in reader.next_best_offers("shop:target", limit=5).offers} == {"popular_at_store"}
    jobs.precompute(shop.graph, cache, shop.models_dir, now=shop.now)
    assert reader.next_best_offers("shop:target", limit=5).offers[0].reason_code != "popular_at_store"
    realtime.recompute_customer(shop.graph, cache, lambda _: popular_only, "shop:target", HybridSettings())
    listed = reader.next_best_offers("shop:target", limit=5)
    assert listed.source == "realtime" and {o.reason_code for o in listed.offers} == {"popular_at_store"}
