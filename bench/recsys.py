"""Recommender benchmark on data already loaded into the graph: training, precompute, realtime latency.

    NEO4J_URI=... NEO4J_PASSWORD=... REDIS_URL=... .venv/bin/python bench/recsys.py [--retailer ID] [--events 1000]
        [--session 5] [--no-identify] [--history-minutes 30] [--tune-days 28] [--models DIR]
        [--latency-only | --precompute-only] [--workers N ...]

For each retailer: trains (seconds), precomputes every customer's list into Redis (customers/s; once per
`--workers` value with `--precompute-only`; with the CPU Redis used meanwhile, append-only-file rewrites included,
since on one machine it takes cores from the ranking), then
measures one customer's recomputation (graph read + ALS recalculate_user + hybrid + Redis write, p50/p99,
with the pure computation on its own) and event-to-updated-list latency over `--events` view events, `--session`
in a row per customer: each goes through recsys.realtime.record_event while `c360 worker` runs in its own process,
and the clock stops when the worker's notification for that customer arrives. Each visit starts as at a kiosk or
in the webshop, with the customer making themselves known (recsys.realtime.customer_identified, which the API calls
when it issues a customer session), so the worker reads their history from the graph then and ranks the views from
the history it keeps; `--no-identify` leaves that out, so a visit's first view reads the graph. Its events (ids
`bench-...`) are then deleted from the graph and the lists of the customers they were sent for recomputed. Also
timed: the first event once the worker says it is consuming, and the events of the SWITCH_SECONDS after each of
SWITCHES copies of the model is published as the latest version while views keep coming (the worker loads a newer
model on a thread of its own); the copies are removed and the model's latest version restored afterwards. Goals
(issue 3): precompute >= 5,000 customers/s; event-to-list p99 < 25 ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import redis
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from c360 import connect  # noqa: E402
from c360.settings import load_settings  # noqa: E402
from graph.admin import delete_nodes  # noqa: E402
from graph.interactions import customer_with_interactions  # noqa: E402
from graph.recsys_reads import retailer_ids  # noqa: E402
from recsys import customer_history, hybrid, jobs, keys, model, realtime  # noqa: E402
from recsys.interactions import EVENT_KINDS  # noqa: E402
from recsys.precompute import offer_lists  # noqa: E402

PRECOMPUTE_GOAL = 5_000.0
EVENT_P99_GOAL_MS = 25.0
SWITCHES, SWITCH_SECONDS = 2, 4.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retailer", action="append", help="retailer id (default: every one in the graph)")
    parser.add_argument("--events", type=int, default=1_000, help="events for the latency figures (default 1000)")
    parser.add_argument("--session", type=int, default=5,
                        help="views per customer in a row for the event latency (default 5; 1: every view cold)")
    parser.add_argument("--tune-days", type=int, default=jobs.TUNE_DAYS,
                        help="tune the blend weights as `c360 train` does (default 28; 0: HybridSettings' defaults)")
    parser.add_argument("--no-identify", dest="identify", action="store_false",
                        help="do not start a visit with the customer's identification (card scan, sign-in)")
    parser.add_argument("--history-minutes", type=float, default=30.0,
                        help="the worker's --history-minutes (default 30; 0: every event reads the graph)")
    parser.add_argument("--models", type=Path, help="model folder (default: a temporary one)")
    parser.add_argument("--latency-only", action="store_true",
                        help="skip training and precompute: measure latency with the latest model in --models")
    parser.add_argument("--precompute-only", action="store_true",
                        help="skip training and latency: precompute with the latest model in --models")
    parser.add_argument("--workers", type=int, action="append",
                        help="ranking threads of precompute; repeat to compare (default: one per core)")
    args = parser.parse_args()
    targets = connect.targets(load_settings())
    graph, cache = connect.graph(targets), connect.cache(targets)
    with tempfile.TemporaryDirectory(prefix="c360-bench-models-") as scratch:
        models_dir = args.models or Path(scratch)
        try:
            retailers = args.retailer or retailer_ids(graph)
            if not retailers:
                sys.exit("no retailer in the graph: load data first (c360 load ...)")
            workers = args.workers or [os.cpu_count() or 1]
            for retailer_id in retailers:
                if args.precompute_only:
                    for n in workers:
                        precompute(graph, cache, models_dir, retailer_id, n)
                    continue
                bench_retailer(graph, cache, models_dir, retailer_id, args.events, args.session,
                               args.history_minutes, args.latency_only, workers[0], args.tune_days, args.identify)
        finally:
            graph.close()


def bench_retailer(graph, cache, models_dir: Path, retailer_id: str, events: int,  # type: ignore[no-untyped-def]
                   session: int, history_minutes: float, latency_only: bool = False, workers: int = 1,
                   tune_days: int = jobs.TUNE_DAYS, identify: bool = True) -> None:
    """Print the figures of one retailer."""
    print(f"\n== retailer {retailer_id}")
    if not latency_only and not train_and_precompute(graph, cache, models_dir, retailer_id, workers, tune_days):
        print("no interactions: skipped")
        return
    artifact = model.load(models_dir / retailer_id)
    gc.collect()
    gc.freeze()     # this process stands in for the API, which holds no model: keep the model out of its collections
    rng = np.random.default_rng(0)
    sample = rng.choice(artifact.ids.customer_ids, size=min(events, len(artifact.ids.customer_ids)), replace=False)
    one_customer_latency(graph, cache, artifact, sample[:200].tolist())
    event_latency(graph, cache, models_dir, retailer_id, artifact, rng, sample.tolist(), events, max(session, 1),
                  history_minutes, identify)


def train_and_precompute(graph, cache, models_dir: Path, retailer_id: str,  # type: ignore[no-untyped-def]
                         workers: int, tune_days: int) -> bool:
    """Train a model version (blend weights tuned on the last `tune_days`, as `c360 train` does) and precompute
    every list with it; prints seconds and customers/s. False: no data."""
    started = time.perf_counter()
    trained = jobs.train(graph, models_dir, retailers=[retailer_id], tune_days=tune_days)
    if not trained:
        return False
    run = trained[0]
    counts = run.artifact.counts
    print(f"train: {counts['customers']:,} customers x {counts['products']:,} products, "
          f"{counts['interactions']:,} interactions: read {run.read_s:.1f} s + train {run.train_s:.1f} s "
          f"= {time.perf_counter() - started:.1f} s")
    precompute(graph, cache, models_dir, retailer_id, workers)
    return True


def precompute(graph, cache, models_dir: Path, retailer_id: str, workers: int) -> None:  # type: ignore[no-untyped-def]
    """Precompute every list of the retailer with its latest model; prints seconds and customers/s, and the work
    Redis did meanwhile (on a shared machine it takes cores from the ranking)."""
    before = redis_work(cache)
    summary = jobs.precompute(graph, cache, models_dir, retailers=[retailer_id], workers=workers)
    after = redis_work(cache)
    total_s = summary.read_s + summary.write_s + summary.catalogue_s
    used = summary.ranking_threads
    threads = f"--workers {workers}: {used} ranking thread{'s' if used > 1 else ''}"
    print(f"precompute ({threads}): {summary.customers:,} customers; read {summary.read_s:.1f} s, lists (rank + "
          f"write) {summary.write_s:.1f} s, catalogue {summary.catalogue_s:.1f} s -> {summary.customers_per_s:,.0f} "
          f"customers/s for the lists, "
          f"{summary.customers / total_s:,.0f} customers/s overall (goal >= {PRECOMPUTE_GOAL:,.0f}: "
          f"{summary.customers_per_s / PRECOMPUTE_GOAL:.2f}x)")
    if before and after:
        print(f"  Redis meanwhile: {after[0] - before[0]:.1f} CPU-seconds, and {after[2] - before[2]} append-only-file "
              f"rewrite(s) whose forked process used {after[1] - before[1]:.1f}; it holds {after[3]} now")


def redis_work(cache: redis.Redis) -> tuple[float, float, int, str] | None:
    """Redis's CPU-seconds so far, its forked children's (append-only-file rewrites, snapshots; waiting up to a minute
    for one running to end), the rewrites it made and its memory; None where INFO is refused (some managed
    services)."""
    try:
        info = cache.info()
        for _ in range(600):      # a rewrite's CPU counts once its process has ended
            if not info.get("aof_rewrite_in_progress") and not info.get("rdb_bgsave_in_progress"):
                break
            time.sleep(0.1)
            info = cache.info()
    except redis.ResponseError:
        return None
    own = info["used_cpu_sys"] + info["used_cpu_user"]
    children = info["used_cpu_sys_children"] + info["used_cpu_user_children"]
    return own, children, int(info.get("aof_rewrites", 0)), str(info["used_memory_human"])


def one_customer_latency(graph, cache, artifact: model.Artifact, customers: list[str]) -> None:  # type: ignore[no-untyped-def]
    """recompute_customer end to end, and its pure computation (records already read)."""
    settings = hybrid.settings_for(artifact, hybrid.HybridSettings())   # as the worker ranks
    whole, compute = [], []
    with threadpool_limits(1):      # BLAS and OpenMP on one thread, as in the worker (recsys.worker)
        for customer_id in customers:
            t0 = time.perf_counter()
            realtime.recompute_customer(graph, cache, lambda _: artifact, customer_id, settings)
            whole.append(time.perf_counter() - t0)
            history = customer_history.History(*customer_with_interactions(graph, customer_id, EVENT_KINDS))
            t0 = time.perf_counter()
            row = realtime.one_customer(artifact, customer_id, history, int(time.time()), settings)
            offer_lists(artifact, row, settings)
            compute.append(time.perf_counter() - t0)
    print(f"one-customer recompute over {len(customers)} customers: read+compute+write p50 {_ms(whole, 50)} "
          f"p99 {_ms(whole, 99)}; computation alone (ALS recalculate_user + hybrid + top-50) p50 "
          f"{_ms(compute, 50)} p99 {_ms(compute, 99)}")


def event_latency(graph, cache, models_dir: Path, retailer_id: str, artifact: model.Artifact,  # type: ignore[no-untyped-def]
                  rng: np.random.Generator, customers: list[str], events: int, session: int, history_minutes: float,
                  identify: bool) -> None:
    """record_event -> `c360 worker` (its own process, as in production) -> notification, one event at a time.

    Customers view `session` products in a row, as on a webshop visit. Nothing is kept for them at first (the
    benchmark drops what earlier steps kept); with `identify` each visit starts with the customer's identification,
    which has the worker read their history from the graph and keep it (recsys.customer_history), so even the first
    view uses the kept history; without, the first view reads the graph."""
    forget = cache.pipeline(transaction=False)
    for customer_id in customers:
        customer_history.forget(forget, customer_id)
    forget.execute()
    listener = cache.pubsub()
    listener.subscribe(keys.offers_changed_channel())
    listener.get_message(timeout=1.0)
    products = artifact.ids.product_ids
    first, later, intake, sent, prepared = [], [], [], [], []
    identify = identify and history_minutes > 0          # with no history kept, an identification prepares nothing
    folder = models_dir / retailer_id
    with worker_process(models_dir, history_minutes) as worker_log:
        _wait_for_start(worker_log)
        t0 = time.perf_counter()
        sent.append(_send_view(graph, cache, customers[0], products[0]))
        started_intake = time.perf_counter() - t0
        if not _wait_for(listener, customers[0], timeout=120.0):
            sys.exit(f"the worker sent no notification within 120 s; the end of its log ({worker_log}):\n"
                     f"{_log_tail(worker_log)}")
        started = time.perf_counter() - t0
        for n in range(events):
            customer_id = customers[(n // session + 1) % len(customers)]
            if identify and n % session == 0:
                t0 = time.perf_counter()
                realtime.customer_identified(cache, customer_id)
                if _wait_for(listener, customer_id):
                    prepared.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sent.append(_send_view(graph, cache, customer_id, products[rng.integers(len(products))]))
            intake.append(time.perf_counter() - t0)
            if _wait_for(listener, customer_id):
                (later if n % session else first).append(time.perf_counter() - t0)
        switched = [_around_a_switch(graph, cache, listener, folder, artifact, f"bench{k}", customers, rng, sent)
                    for k in range(SWITCHES)]
    model.point_latest(folder, artifact.version)
    for k in range(SWITCHES):
        shutil.rmtree(folder / f"{artifact.version}-bench{k}")
    listener.close()
    latencies = first + later
    kept = f"history kept by the worker for {history_minutes:g} min" if history_minutes else "no history kept"
    if identify:
        print(f"identification to history kept and list recomputed ({len(prepared)} visits): "
              f"p50 {_ms(prepared, 50)} p99 {_ms(prepared, 99)}")
    origin = "after the identification" if identify else "history read from the graph"
    print(f"event to updated list over {len(latencies)} of {events} events ({session} views per customer): "
          f"p50 {_ms(latencies, 50)} p99 {_ms(latencies, 99)} (goal p99 < {EVENT_P99_GOAL_MS:.0f} ms: "
          f"{float(np.percentile(latencies, 99)) * 1000 / EVENT_P99_GOAL_MS:.2f}x the goal); a customer's first view "
          f"({origin}) p50 {_ms(first, 50)} p99 {_ms(first, 99)}, their next views ({kept}) "
          f"p50 {_ms(later, 50)} p99 {_ms(later, 99)}; of which record_event (Neo4j write + XADD) "
          f"p50 {_ms(intake, 50)} p99 {_ms(intake, 99)}")
    print(f"first event once the worker was consuming: {started * 1000:.1f} ms (record_event "
          f"{started_intake * 1000:.1f} ms); a new model version published while "
          f"views keep coming, worst event in the next {SWITCH_SECONDS:g} s: "
          + ", ".join(f"{max(times) * 1000:.1f} ms (of {len(times)})" for times in switched))
    remove_views(graph, cache, artifact, sent)


def _around_a_switch(graph, cache, listener, folder: Path, artifact: model.Artifact,  # type: ignore[no-untyped-def]
                     suffix: str, customers: list[str], rng: np.random.Generator,
                     sent: list[tuple[str, str]]) -> list[float]:
    """Publish a copy of the model as the retailer's latest version (in `folder`), then send views one at a time
    for SWITCH_SECONDS; their event-to-list latencies."""
    model.save(replace(artifact, version=f"{artifact.version}-{suffix}"), folder)
    latencies: list[float] = []
    published = time.perf_counter()
    while time.perf_counter() - published < SWITCH_SECONDS:
        customer_id = customers[rng.integers(len(customers))]
        product_id = artifact.ids.product_ids[rng.integers(len(artifact.ids.product_ids))]
        t0 = time.perf_counter()
        sent.append(_send_view(graph, cache, customer_id, product_id))
        if _wait_for(listener, customer_id):
            latencies.append(time.perf_counter() - t0)
    return latencies


def remove_views(graph, cache, artifact: model.Artifact, sent: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """Delete the benchmark's views from the graph and recompute the lists they changed, so that the real
    customers the benchmark borrowed keep their own history and offers."""
    removed = delete_nodes(graph, "Event", [event_id for event_id, _ in sent])
    touched = sorted({customer_id for _, customer_id in sent})
    for customer_id in touched:
        realtime.recompute_customer(graph, cache, lambda _: artifact, customer_id, hybrid.HybridSettings())
    print(f"removed the {removed} benchmark views from the graph and recomputed the lists of the {len(touched)} "
          "customers they were sent for")


@contextmanager
def worker_process(models_dir: Path, history_minutes: float) -> Iterator[Path]:
    """`c360 worker` on the same services (environment passed on), stopped afterwards; yields its log file."""
    name = f"bench-{uuid.uuid4().hex[:6]}"
    log_path = Path(tempfile.gettempdir()) / f"c360-{name}.log"
    command = [sys.executable, "-m", "c360.cli", "worker", "--models", str(models_dir), "--name", name,
               "--history-minutes", str(history_minutes)]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield log_path
        finally:
            process.terminate()
            process.wait(timeout=30)


def _send_view(graph, cache, customer_id: str, product_id: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Record a `bench-` view; (event id, customer id)."""
    event_id = f"bench-{uuid.uuid4().hex}"
    realtime.record_event(graph, cache, {"event_id": event_id, "customer_id": customer_id, "kind": "view",
                                         "product_id": product_id, "channel_id": "web",
                                         "occurred_at": datetime.now(timezone.utc)})
    return event_id, customer_id


def _wait_for_start(worker_log: Path, timeout: float = 120.0) -> None:
    """Until the worker says it is consuming (its models loaded and rehearsed); exits with its log's end if not."""
    deadline = time.perf_counter() + timeout
    while "consuming events" not in worker_log.read_text(errors="replace"):
        if time.perf_counter() > deadline:
            sys.exit(f"the worker did not start within {timeout:g} s; the end of its log ({worker_log}):\n"
                     f"{_log_tail(worker_log)}")
        time.sleep(0.05)


def _log_tail(log: Path, lines: int = 20) -> str:
    return "".join(log.read_text(errors="replace").splitlines(keepends=True)[-lines:])


def _wait_for(listener, customer_id: str, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        message = listener.get_message(timeout=deadline - time.perf_counter())
        if message and message["type"] == "message" and json.loads(message["data"])["customer_id"] == customer_id:
            return True
    return False


def _ms(values: list[float], q: float) -> str:
    return f"{float(np.percentile(values, q)) * 1000:.1f} ms" if values else "-"


if __name__ == "__main__":
    main()
