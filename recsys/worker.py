"""The stream consumer behind `c360 worker`: recompute a customer's list after each of their events.

Workers share one consumer group, so several of them split the stream. An entry is acknowledged only
after the customer's new list is written; entries a dead worker left pending are claimed (XAUTOCLAIM)
once idle for `claim_idle_ms`. Every retailer's latest model is loaded and rehearsed (recsys.realtime.rehearse)
before the first event; a newly trained one (LATEST of the retailer's model folder) is loaded and rehearsed on a
thread of its own while the previous one keeps serving, and takes over between batches. A customer's history is
kept in Redis for `history_ttl_s` after their last event, so their next views are ranked without a graph read
(recsys.customer_history); the graph read's Neo4j plan is made again every `plan_every_s`, since a load drops it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from threadpoolctl import threadpool_limits

from graph.driver import Graph
from recsys import customer_history, hybrid, keys, model, realtime

log = logging.getLogger(__name__)
Entry = tuple[bytes, dict[bytes, bytes]]


@dataclass(frozen=True)
class WorkerSettings:
    consumer: str
    batch: int = 100
    block_ms: int = 1_000
    claim_idle_ms: int = 30_000
    reload_every_s: float = 2.0
    replay_every_s: float = 5.0
    plan_every_s: float = 60.0    # the history read's Neo4j plan made again this often (a load drops plans)
    history_ttl_s: int = customer_history.TTL_S   # how long a customer's history is kept after their last event


@dataclass
class Stats:
    """What a worker did so far."""

    entries: int = 0
    lists: int = 0
    claimed: int = 0
    replayed: int = 0
    models_loaded: list[str] = field(default_factory=list)


class Worker:
    """One consumer of the event stream."""

    def __init__(self, graph: Graph, cache: redis.Redis, models_dir: Path, settings: WorkerSettings,
                 hybrid_settings: hybrid.HybridSettings = hybrid.HybridSettings()) -> None:
        self.graph, self.cache, self.models_dir = graph, cache, models_dir
        self.settings, self.hybrid_settings = settings, hybrid_settings
        self.stats = Stats()
        self._artifacts: dict[str, model.Artifact] = {}
        self._prepared = False
        self._lock = threading.Lock()                        # guards the three below, shared with loading threads
        self._arrived: dict[str, model.Artifact] = {}        # loaded and rehearsed, to serve from the next round
        self._loading: set[str] = set()                      # retailers whose newer model is being loaded
        self._failed: dict[str, str] = {}                    # retailer -> version that failed to load (not retried)
        self._checked_at = 0.0
        self._replayed_at = 0.0
        self._planned_at = time.monotonic()   # rehearsing the models (prepare) plans the history read
        self._own_pending = True     # first read this consumer's own unacknowledged entries (a restart)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_group(self) -> None:
        try:
            self.cache.xgroup_create(keys.event_stream(), keys.worker_group(), id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def run(self, should_stop: Callable[[], bool] = lambda: False,
            ready: Callable[[dict[str, str]], object] = lambda _: None) -> Stats:
        """Load and rehearse the models (then tell `ready`: retailer -> model version), and consume until
        `should_stop()` is true (or `stop()` is called)."""
        self.ensure_group()
        with _one_thread_per_customer():             # rehearsed as events are computed
            ready(self.prepare())
            while not (should_stop() or self._stop.is_set()):
                self.step()
        return self.stats

    def start(self) -> threading.Thread:
        """Run in a daemon thread until `stop()`; a failing step is logged and retried after a pause."""
        self.ensure_group()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run_forgiving, name=f"worker-{self.settings.consumer}",
                                        daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> Stats:
        """Ask the thread to finish its current step and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        return self.stats

    def _run_forgiving(self) -> None:
        with _one_thread_per_customer():
            while not self._stop.is_set():
                try:
                    self.step()
                except Exception:  # noqa: BLE001 - a background worker logs and carries on (e.g. Redis restarting)
                    log.exception("worker %s: step failed; retrying in 1 s", self.settings.consumer)
                    self._stop.wait(1.0)

    def prepare(self) -> dict[str, str]:
        """Load and rehearse every trained retailer's latest model not loaded yet, so that the first events find
        them ready (`run` and the first step do this); retailer -> model version."""
        for retailer_id in model.trained_retailers(self.models_dir):
            if retailer_id in self._artifacts:
                continue                                     # a newer version of it is `_reload`'s to load
            artifact = self._ready_or_none(retailer_id)
            if artifact is not None:
                self._artifacts[retailer_id] = artifact
                self.stats.models_loaded.append(artifact.version)
        _freeze_long_lived()
        self._prepared = True
        return {retailer_id: artifact.version for retailer_id, artifact in self._artifacts.items()}

    def step(self) -> int:
        """One round: replay, reload, own leftovers after a restart, else claim abandoned entries and read new
        ones; process them; returns the number of entries handled."""
        if not self._prepared:
            self.prepare()
        now = time.monotonic()
        if now - self._replayed_at >= self.settings.replay_every_s:
            self._replayed_at = now
            self.stats.replayed += realtime.replay_pending(self.graph, self.cache)
        if now - self._checked_at >= self.settings.reload_every_s:
            self._checked_at = now
            self._reload()
        if now - self._planned_at >= self.settings.plan_every_s:
            self._planned_at = now
            self._plan_history_reads()
        if self._own_pending:
            mine = self.read_own_pending()
            if mine:
                return self.process(mine)
            self._own_pending = False
        claimed = self.claim()
        self.stats.claimed += len(claimed)
        return self.process(claimed + self.read_new(block=not claimed))

    def read_own_pending(self) -> list[Entry]:
        """Entries this consumer (by name) read before a restart but never acknowledged."""
        reply = self.cache.xreadgroup(keys.worker_group(), self.settings.consumer, {keys.event_stream(): "0"},
                                      count=self.settings.batch)
        return [entry for _, entries in reply for entry in entries if entry[1]] if reply else []

    def read_new(self, block: bool = True) -> list[Entry]:
        """Entries no consumer has read yet."""
        reply = self.cache.xreadgroup(keys.worker_group(), self.settings.consumer, {keys.event_stream(): ">"},
                                      count=self.settings.batch, block=self.settings.block_ms if block else None)
        return [entry for _, entries in reply for entry in entries] if reply else []

    def claim(self) -> list[Entry]:
        """Entries other consumers read but never acknowledged for claim_idle_ms."""
        reply = self.cache.xautoclaim(keys.event_stream(), keys.worker_group(), self.settings.consumer,
                                      min_idle_time=self.settings.claim_idle_ms, start_id="0-0",
                                      count=self.settings.batch)
        return [entry for entry in reply[1] if entry[1]]

    def process(self, entries: list[Entry]) -> int:
        """Recompute each customer once, then acknowledge their entries (only after the write)."""
        by_customer: dict[str, list[Entry]] = {}
        for entry in entries:
            by_customer.setdefault(entry[1].get(b"customer_id", b"").decode(), []).append(entry)
        for customer_id, mine in by_customer.items():
            if customer_id:
                events = [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in mine]
                self._recompute(customer_id, events)
            self.cache.xack(keys.event_stream(), keys.worker_group(), *(entry_id for entry_id, _ in mine))
            self.stats.entries += len(mine)
        return len(entries)

    def _recompute(self, customer_id: str, events: list[dict[str, str]]) -> None:
        if realtime.recompute_customer(self.graph, self.cache, self._artifact_of, customer_id,
                                       self.hybrid_settings, events=events,
                                       history_ttl_s=self.settings.history_ttl_s):
            self.stats.lists += 1

    def _artifact_of(self, retailer_id: str) -> model.Artifact | None:
        """The retailer's model; one trained since the last round is loaded here, on first use. None (logged)
        while none is trained or it cannot be loaded."""
        if retailer_id not in self._artifacts:
            artifact = self._ready_or_none(retailer_id)
            if artifact is None:
                log.warning("no usable model for retailer %s; its customers' lists left as they are", retailer_id)
                return None
            self._serve({retailer_id: artifact})
        return self._artifacts[retailer_id]

    def _reload(self) -> None:
        """Serve the models loaded since the last round, and start loading each newer one on its own thread (the
        model it replaces serves until it is ready: a complete_journey model takes 0.3-0.6 s to load)."""
        with self._lock:
            arrived, self._arrived = self._arrived, {}
        if arrived:
            self._serve(arrived)
        for retailer_id in model.trained_retailers(self.models_dir):
            latest = model.latest_version(self.models_dir / retailer_id)
            serving = self._artifacts.get(retailer_id)
            with self._lock:
                if (serving is not None and serving.version == latest) or retailer_id in self._loading \
                        or self._failed.get(retailer_id) == latest:
                    continue
                self._loading.add(retailer_id)
            threading.Thread(target=self._load_in_background, args=(retailer_id, latest), daemon=True,
                             name=f"load-{retailer_id}").start()

    def _load_in_background(self, retailer_id: str, version: str | None) -> None:
        artifact = self._ready_or_none(retailer_id, version)
        with self._lock:
            if artifact is not None:
                self._arrived[retailer_id] = artifact
            self._loading.discard(retailer_id)

    def _ready_or_none(self, retailer_id: str, version: str | None = None) -> model.Artifact | None:
        """`_ready_model` (default: the latest version), or None: no model, or one that cannot be loaded, which
        is logged and not tried again (the model serving, if any, keeps serving)."""
        version = version or model.latest_version(self.models_dir / retailer_id)
        with self._lock:
            if version is None or self._failed.get(retailer_id) == version:
                return None
        try:
            return self._ready_model(retailer_id, version)
        except Exception:  # noqa: BLE001 - one retailer's broken model must not stop the others' lists
            log.exception("could not load model %s for retailer %s", version, retailer_id)
            with self._lock:
                self._failed[retailer_id] = version
            return None

    def _ready_model(self, retailer_id: str, version: str) -> model.Artifact:
        """A version of the retailer's model, loaded and rehearsed; a failed rehearsal is logged and the first
        event then pays for the model's first ranking."""
        started = time.monotonic()
        artifact = model.load(self.models_dir / retailer_id, version)
        try:
            rehearsed = realtime.rehearse(self.graph, artifact, self.hybrid_settings)
        except Exception:  # noqa: BLE001 - e.g. the graph restarting; the model serves all the same
            log.warning("could not rehearse model %s for retailer %s", artifact.version, retailer_id, exc_info=True)
            rehearsed = None
        log.info("loaded model %s for retailer %s in %.2f s (rehearsed on %s)", artifact.version, retailer_id,
                 time.monotonic() - started, rehearsed or "no customer")
        return artifact

    def _plan_history_reads(self) -> None:
        for retailer_id, artifact in self._artifacts.items():
            try:
                realtime.plan_history_read(self.graph, artifact)
            except Exception:  # noqa: BLE001 - e.g. the graph restarting; the next event plans it
                log.warning("could not plan the history read for retailer %s", retailer_id, exc_info=True)

    def _serve(self, arrived: dict[str, model.Artifact]) -> None:
        self._artifacts.update(arrived)
        _freeze_long_lived(full=False)
        self.stats.models_loaded.extend(artifact.version for artifact in arrived.values())


def _one_thread_per_customer() -> threadpool_limits:
    """BLAS (process-wide) and OpenMP (this thread) on one thread while the worker runs, restored after. One
    customer's products are too few to share out: a second BLAS thread only adds hand-overs and spin-waits that
    compete with Neo4j and Redis for the cores (event-to-list p99 on complete_journey, 2 cores: 26-28 ms with it,
    16-17 ms without). Several workers spread the load over cores instead."""
    return threadpool_limits(1)


def _freeze_long_lived(full: bool = True) -> None:
    """Take what is loaded now (models, id maps, connections) out of the cyclic garbage collector's sight: a full
    collection otherwise walks every one of their objects, a 50 ms pause in the middle of an event (a model of
    68,262 products) once in a few hundred events. At start (`full`) what was frozen before is collected too; when
    a newer model takes over, the one it replaces is freed by reference counting alone (an artifact holds no
    reference cycles: tested), so only the young generations are collected, not the 40-75 ms full pass."""
    if full:
        gc.unfreeze()
        gc.collect()
    else:
        gc.collect(1)
    gc.freeze()
