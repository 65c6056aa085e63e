"""Events to fresh lists: intake, the stream worker, crash recovery, Redis outages, model hot-loading."""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import orjson
import redis
from threadpoolctl import threadpool_info

from c360.services import free_port
from graph.interactions import CUSTOMER_WITH_INTERACTIONS, customer_with_interactions, pending_stream
from graph.merges import merge_customers, unmerge_customers
from recsys import hybrid, jobs, keys, model, offers, realtime
from recsys.interactions import EVENT_KINDS
from recsys.worker import Worker, WorkerSettings
from tests.query_stats import collecting, drop_plans, ran_since


def view(event_id: str, customer_id: str, product_id: str) -> dict[str, object]:
    return {"event_id": event_id, "customer_id": customer_id, "kind": "view", "product_id": product_id,
            "channel_id": "web", "occurred_at": datetime.now(timezone.utc).isoformat()}


def worker(shop, cache: redis.Redis, name: str = "w1", **settings: object) -> Worker:
    defaults: dict[str, object] = {"block_ms": 10, "reload_every_s": 0.0}
    return Worker(shop.graph, cache, shop.models_dir, WorkerSettings(consumer=name, **{**defaults, **settings}))


def first_b(listed: offers.OfferList) -> int:
    return min(i for i, o in enumerate(listed.offers) if o.product_id.startswith("shop:b"))


def pending(cache: redis.Redis) -> int:
    return int(cache.xpending(keys.event_stream(), keys.worker_group())["pending"])


def test_an_event_rewrites_the_list_and_announces_it(served, cache: redis.Redis) -> None:
    before = offers.read_next_best_offers(cache, "shop:a7", limit=20)
    consumer = worker(served, cache)
    consumer.ensure_group()
    listener = cache.pubsub()
    listener.subscribe(realtime.offers_changed_channel())
    for n in range(3):
        assert realtime.record_event(served.graph, cache, view(f"rt-{n}", "shop:a7", served.group_b[n % 2]))
    assert consumer.step() == 3
    after = offers.read_next_best_offers(cache, "shop:a7", limit=20)
    assert (before.source, after.source) == ("model", "realtime")
    assert first_b(after) < first_b(before)     # the viewed kind of product moved up
    messages = [listener.get_message(timeout=1.0) for _ in range(2)]
    payload = json.loads(messages[1]["data"])
    assert payload == {"customer_id": "shop:a7", "model_version": served.model_version,
                       "computed_at": after.computed_at}
    assert consumer.stats.lists == 1 and pending(cache) == 0
    listener.close()


def test_with_nothing_new_the_worker_ranks_a_customer_as_the_precompute_did(served, cache: redis.Redis) -> None:
    """Same model, same history, same time: the same list, whatever the customer (declared or inferred home store,
    refused personalisation, due repurchases, a kiosk's store)."""
    artifact = model.load(served.models_dir / "shop")
    for customer_id in ("shop:a0", "shop:b7", "shop:target", "shop:regular", "shop:private", "shop:kiosker"):
        precomputed = offers.read_next_best_offers(cache, customer_id, limit=50)
        realtime.recompute_customer(served.graph, cache, lambda _: artifact, customer_id, hybrid.HybridSettings(),
                                    now=served.now.timestamp())
        recomputed = offers.read_next_best_offers(cache, customer_id, limit=50)
        assert (precomputed.source, recomputed.source) == ("model", "realtime")
        assert recomputed.offers == precomputed.offers and recomputed.suppressed == precomputed.suppressed
        assert precomputed.offers


def test_an_event_id_counts_once(served, cache: redis.Redis) -> None:
    event = view("once-1", "shop:a8", served.group_b[0])
    assert realtime.record_event(served.graph, cache, event) is True
    assert realtime.record_event(served.graph, cache, event) is False
    assert cache.xlen(keys.event_stream()) == 1


def test_a_worker_killed_mid_way_loses_nothing(served, cache: redis.Redis) -> None:
    dead = worker(served, cache, "dead")
    dead.ensure_group()
    realtime.record_event(served.graph, cache, view("kill-1", "shop:a9", served.group_b[0]))
    realtime.record_event(served.graph, cache, view("kill-2", "shop:a10", served.group_b[1]))
    assert len(dead.read_new()) == 2          # read, then killed before writing or acknowledging
    assert pending(cache) == 2
    survivor = worker(served, cache, "survivor", claim_idle_ms=0)
    assert survivor.step() == 2
    assert survivor.stats.claimed == 2 and pending(cache) == 0
    for customer_id in ("shop:a9", "shop:a10"):
        assert offers.read_next_best_offers(cache, customer_id).source == "realtime"


def test_a_restarted_worker_first_finishes_its_own_entries(served, cache: redis.Redis) -> None:
    first = worker(served, cache, "same-name")
    first.ensure_group()
    realtime.record_event(served.graph, cache, view("restart-1", "shop:a11", served.group_b[0]))
    assert len(first.read_new()) == 1         # read, then the process died
    again = worker(served, cache, "same-name")  # claim_idle_ms keeps the default: nothing to claim yet
    assert again.step() == 1
    assert pending(cache) == 0
    assert offers.read_next_best_offers(cache, "shop:a11").source == "realtime"


def test_several_workers_share_the_stream(served, cache: redis.Redis) -> None:
    one, two = worker(served, cache, "one", batch=1), worker(served, cache, "two", batch=1)
    one.ensure_group()
    for n, customer_id in enumerate(("shop:a12", "shop:a13")):
        realtime.record_event(served.graph, cache, view(f"share-{n}", customer_id, served.group_b[0]))
    assert (one.step(), two.step()) == (1, 1)
    assert pending(cache) == 0


def test_events_while_redis_is_down_are_stored_and_replayed(served, cache: redis.Redis) -> None:
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.2)
    assert realtime.record_event(served.graph, down, view("down-1", "shop:a14", served.group_b[0])) is True
    assert [e["event_id"] for e in pending_stream(served.graph, 10)] == ["down-1"]
    consumer = worker(served, cache, replay_every_s=0.0)
    consumer.ensure_group()
    assert consumer.step() == 1
    assert consumer.stats.replayed == 1 and pending_stream(served.graph, 10) == []
    assert offers.read_next_best_offers(cache, "shop:a14").source == "realtime"
    down.close()


def test_a_recomputed_customer_takes_over_the_identities_they_now_hold(served, cache: redis.Redis) -> None:
    reader, consumer = offers.OfferReader(cache), worker(served, cache, "identities")
    consumer.ensure_group()
    assert reader.identity_holder("loyalty_card", "card-b20") == "shop:b20"
    record = {"merge_id": "M-test", "identity_kind": "loyalty_card", "identity_value": "card-b20",
              "channel_id": "pos", "by": "test", "at": datetime.now(timezone.utc)}
    assert merge_customers(served.graph, "shop:b21", "shop:b20", record)
    try:
        realtime.request_refresh(cache, "shop:b21", "merge")    # as the mergeCustomers mutation does
        assert consumer.step() == 1
        assert reader.identity_holder("loyalty_card", "card-b20") == "shop:b21"
    finally:
        unmerge_customers(served.graph, "shop:b20")
    realtime.request_refresh(cache, "shop:b20", "unmerge")
    assert consumer.step() == 1
    assert reader.identity_holder("loyalty_card", "card-b20") == "shop:b20"


def test_a_worker_has_every_model_loaded_and_rehearsed_before_the_first_event(served, cache: redis.Redis,
                                                                              caplog) -> None:
    consumer, heard = worker(served, cache), []
    with caplog.at_level(logging.INFO, logger="recsys.worker"):
        consumer.run(lambda: True, heard.append)        # prepares, says so, and stops before reading the stream
    assert heard == [{"shop": served.model_version}]
    assert f"loaded model {served.model_version} for retailer shop" in caplog.text
    assert "(rehearsed on shop:" in caplog.text
    assert consumer.stats.models_loaded == [served.model_version]
    consumer.step()                                     # prepared already: nothing loaded twice
    assert consumer.stats.models_loaded == [served.model_version]


def test_a_worker_plans_its_history_read_again(served, cache: redis.Redis) -> None:
    """A load drops Neo4j's plans; the worker makes the history read's again every plan_every_s, events or not."""
    consumer = worker(served, cache, plan_every_s=0.0)
    consumer.ensure_group()
    consumer.prepare()
    with collecting(served.graph):
        dropped = drop_plans(served.graph)
        assert consumer.step() == 0                     # no event: only the worker's own rounds
        assert ran_since(served.graph, CUSTOMER_WITH_INTERACTIONS, dropped)


def test_a_rehearsal_ranks_a_customer_and_keeps_nothing(served, cache: redis.Redis) -> None:
    """It builds the model's lookups (the first ranking's cost), and leaves no list, history or announcement."""
    artifact = model.load(served.models_dir / "shop")
    before = {key: cache.dump(key) for key in cache.scan_iter()}
    listener = cache.pubsub()
    listener.subscribe(realtime.offers_changed_channel())
    listener.get_message(timeout=1.0)
    assert realtime.rehearse(served.graph, artifact, hybrid.HybridSettings()) == artifact.ids.customer_ids[0]
    assert artifact._product_index is not None and artifact._derived
    assert listener.get_message(timeout=0.2) is None
    assert {key: cache.dump(key) for key in cache.scan_iter()} == before
    listener.close()


def test_a_newer_model_is_loaded_while_the_previous_one_serves(served, cache: redis.Redis, monkeypatch) -> None:
    consumer = worker(served, cache)
    consumer.ensure_group()
    consumer.step()
    newer = jobs.train(served.graph, served.models_dir, now=served.now,
                       settings=replace(model.ModelSettings(), factors=16))[0].artifact.version
    assert model.latest_version(served.models_dir / "shop") == newer != served.model_version
    loading, load = threading.Event(), model.load

    def held_back(models_dir: Path, version: str | None = None) -> model.Artifact:
        if version == newer:
            loading.wait(10.0)                          # until the event below was served
        return load(models_dir, version)

    monkeypatch.setattr(model, "load", held_back)
    previous = weakref.ref(consumer._artifacts["shop"])
    realtime.record_event(served.graph, cache, view("hot-1", "shop:a15", served.group_b[0]))
    assert consumer.step() == 1                         # starts loading the newer model, serves with the previous
    assert offers.read_next_best_offers(cache, "shop:a15").model_version == served.model_version
    loading.set()
    deadline = time.monotonic() + 30
    while consumer.stats.models_loaded[-1] != newer and time.monotonic() < deadline:
        consumer.step()
    realtime.record_event(served.graph, cache, view("hot-2", "shop:a15", served.group_b[1]))
    consumer.step()
    assert consumer.stats.models_loaded == [served.model_version, newer]
    assert offers.read_next_best_offers(cache, "shop:a15").model_version == newer
    gc.collect()
    assert previous() is None       # freed, not kept frozen: the worker's swap relies on artifacts holding no cycles


@contextmanager
def broken_latest(shop) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The shop's LATEST pointing at a version that cannot be loaded; yields the version it pointed at."""
    serving = str(model.latest_version(shop.models_dir / "shop"))
    broken = shop.models_dir / "shop" / "broken"
    broken.mkdir()
    (broken / "meta.json").write_text("{")
    (shop.models_dir / "shop" / model.LATEST).write_text("broken")
    try:
        yield serving
    finally:
        (shop.models_dir / "shop" / model.LATEST).write_text(serving)
        shutil.rmtree(broken)


def counting_loads(monkeypatch) -> list[str | None]:  # type: ignore[no-untyped-def]
    attempts, load = [], model.load

    def counted(models_dir: Path, version: str | None = None) -> model.Artifact:
        attempts.append(version)
        return load(models_dir, version)

    monkeypatch.setattr(model, "load", counted)
    return attempts


def test_a_model_that_cannot_be_loaded_leaves_the_previous_one_serving(served, cache: redis.Redis,
                                                                      monkeypatch) -> None:
    consumer = worker(served, cache)
    consumer.ensure_group()
    consumer.step()
    attempts = counting_loads(monkeypatch)
    with broken_latest(served) as serving:
        for n in range(3):
            realtime.record_event(served.graph, cache, view(f"broken-{n}", "shop:a17", served.group_b[n % 2]))
            consumer.step()
            time.sleep(0.2)                               # time for a load to fail before the next round
        assert attempts == ["broken"]                     # tried once, not again every round
        assert consumer.stats.lists == 3 and consumer.stats.models_loaded == [serving]
        assert offers.read_next_best_offers(cache, "shop:a17").model_version == serving


def test_a_worker_starts_without_a_model_that_cannot_be_loaded(served, cache: redis.Redis, monkeypatch) -> None:
    """It logs it, leaves that retailer's lists as they are, and serves the next good version once it is there."""
    consumer, heard = worker(served, cache), []
    attempts = counting_loads(monkeypatch)
    with broken_latest(served) as serving:
        consumer.run(lambda: True, heard.append)
        realtime.record_event(served.graph, cache, view("broken-start-1", "shop:a18", served.group_b[0]))
        consumer.step()
        assert heard == [{}] and attempts == ["broken"] and consumer.stats.lists == 0
        assert offers.read_next_best_offers(cache, "shop:a18").source == "model"     # as the precompute left it
    deadline = time.monotonic() + 30
    while consumer.stats.models_loaded != [serving] and time.monotonic() < deadline:
        consumer.step()                                   # the good version is back: loaded on the side, then served
    realtime.record_event(served.graph, cache, view("broken-start-2", "shop:a18", served.group_b[1]))
    consumer.step()
    assert offers.read_next_best_offers(cache, "shop:a18").source == "realtime"


def test_the_worker_runs_in_a_background_thread(served, cache: redis.Redis) -> None:
    consumer = worker(served, cache, "background")
    consumer.start()
    try:
        realtime.record_event(served.graph, cache, view("thread-1", "shop:a16", served.group_b[0]))
        deadline = time.monotonic() + 30
        while offers.read_next_best_offers(cache, "shop:a16").source != "realtime" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stats = consumer.stop()
    assert offers.read_next_best_offers(cache, "shop:a16").source == "realtime"
    assert stats.lists == 1


def pool_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info()}


def test_a_worker_computes_on_one_thread_and_gives_the_threads_back(served, cache: redis.Redis) -> None:
    """BLAS and OpenMP run on one thread while a worker runs (recsys.worker: a second one only spins), in the
    foreground and in a background thread, and have their own count again once it stops."""
    before, seen = pool_threads(), []
    worker(served, cache, "one-thread").run(lambda: not seen.append(pool_threads()))
    consumer = worker(served, cache, "one-thread-background")
    step = consumer.step
    consumer.step = lambda: seen.append(pool_threads()) or step()   # type: ignore[method-assign]
    consumer.start()
    try:
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        consumer.stop()
    assert seen[:2] == [{1}, {1}]
    assert pool_threads() == before


# One customer ranked as the worker ranks it (on one thread), in a fresh process: how many threads the process
# has before and after.
ONE_CUSTOMER = """
import os, sys, time
from pathlib import Path
import orjson
from threadpoolctl import threadpool_limits
from recsys import customer_history, hybrid, model, realtime
from recsys.precompute import offer_lists
artifact = model.load(Path(sys.argv[1]))
customer_id, profile, rows = orjson.loads(sys.stdin.buffer.read())
history = customer_history.History(profile, rows)
settings = hybrid.settings_for(artifact, hybrid.HybridSettings())
before = len(os.listdir("/proc/self/task"))
with threadpool_limits(1):
    offer_lists(artifact, realtime.one_customer(artifact, customer_id, history, int(time.time()), settings), settings)
print(before, len(os.listdir("/proc/self/task")))
"""


def test_a_model_trained_on_many_threads_ranks_a_worker_s_customer_on_one(served, tmp_path: Path) -> None:
    """implicit hands a model's own thread count (`c360 train --threads`) to OpenMP, which overrides the worker's
    one-thread limit: a loaded model serves under its caller's limits instead, so recomputing a customer starts
    no OpenMP threads (whose spin-waits cost the worker its p99)."""
    artifact = model.load(served.models_dir / "shop")
    artifact.model.num_threads = (os.cpu_count() or 1) + 2       # more than any team the process could have
    model.save(artifact, tmp_path)
    customer_id = served.group_a[0]
    profile, rows = customer_with_interactions(served.graph, customer_id, EVENT_KINDS)
    done = subprocess.run([sys.executable, "-c", ONE_CUSTOMER, str(tmp_path)], input=orjson.dumps(
        [customer_id, profile, rows]), capture_output=True, cwd=Path(__file__).parents[2], timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    before, after = map(int, done.stdout.split())
    assert after == before


def test_a_merged_away_customer_loses_its_lists_in_every_kept_version(served, cache: redis.Redis) -> None:
    """Else a rollback to the previous version would serve, for the merged-away id, the list computed before the
    merge instead of the survivor's."""
    kept = cache.hgetall(keys.versions())
    current = offers.current_version(cache)
    assert current
    lists = {c: cache.dump(keys.customer_offers(c, current)) for c in ("shop:b22", "shop:b23")}
    try:
        cache.hset(keys.versions(), "previous", "v-before")
        for version in (current, "v-before"):
            cache.set(keys.customer_offers("shop:b22", version), b"[]")
            cache.set(keys.customer_offers("shop:b23", version), b"[]")
        realtime.forget_customer(cache, "shop:b22")
        assert [cache.exists(keys.customer_offers("shop:b22", v)) for v in (current, "v-before")] == [0, 0]
        assert [cache.exists(keys.customer_offers("shop:b23", v)) for v in (current, "v-before")] == [1, 1]
    finally:
        cache.delete(keys.versions(), keys.customer_offers("shop:b23", "v-before"))
        cache.hset(keys.versions(), mapping=kept)
        for customer, dumped in lists.items():      # the served lists as they were
            cache.delete(keys.customer_offers(customer, current))
            if dumped is not None:
                cache.restore(keys.customer_offers(customer, current), 0, dumped)
