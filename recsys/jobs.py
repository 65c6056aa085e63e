"""The recommender's jobs with plain arguments, for `c360 train|precompute` and `c360 demo`.

    artifacts = jobs.train(graph, models_dir)                 # every retailer; saved as models_dir/<retailer>/
    summary = jobs.precompute(graph, cache, models_dir)       # a new offer version in Redis, switched to
    worker = Worker(graph, cache, models_dir, WorkerSettings(consumer="demo")); worker.start(); worker.stop()
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import redis

from graph.driver import Graph
from graph.recsys_reads import products_of_retailer, retailer_ids
from recsys import hybrid, interactions, model
from recsys.comparison import tuned_weights
from recsys.precompute import Summary, precompute as precompute_version
from recsys.training import train as train_artifact

TUNE_DAYS = 28     # `c360 train` tunes the served blend weights on the last four weeks unless told otherwise


@dataclass(frozen=True)
class Trained:
    """One retailer's training run."""

    retailer_id: str
    artifact: model.Artifact
    path: Path
    read_s: float
    train_s: float
    tune_s: float = 0.0
    orders: dict[str, str] = field(default_factory=dict)   # how the lists order each kind (LearnedOrder.describe)


def train(graph: Graph, models_dir: Path, *, retailers: list[str] | None = None,
          settings: model.ModelSettings = model.ModelSettings(),
          interaction_settings: interactions.InteractionSettings = interactions.InteractionSettings(),
          now: datetime | None = None, tune_days: int = 0,
          on_status: Callable[[str], None] = lambda _: None) -> list[Trained]:
    """Train and save a new artifact version for each retailer (default: every one with interactions).

    With `tune_days`, the blend weights of the served lists are tuned on the retailer's purchases in the last
    `tune_days` days, and the learned orders learnt there (comparison.tuned_weights), all stored in the artifact.
    """
    now = now or datetime.now(timezone.utc)
    done = []
    for retailer_id in retailers or retailer_ids(graph):
        started = time.perf_counter()
        on_status(f"reading interactions of retailer {retailer_id}")
        table = interactions.from_graph(graph, retailer_id, now)
        categories = {p["product_id"]: p["category_id"] for p in products_of_retailer(graph, retailer_id)
                      if p["category_id"]}
        if table.empty:
            continue
        read_s = time.perf_counter() - started
        on_status(f"training {settings.algorithm} for retailer {retailer_id}")
        artifact = train_artifact(table, settings, interaction_settings, int(now.timestamp()), categories)
        train_s = time.perf_counter() - started - read_s
        orders = {}
        if tune_days:
            tuned = tuned_weights(table, int(now.timestamp()), tune_days, settings, interaction_settings,
                                  categories, step=lambda s, r=retailer_id: on_status(f"{r}: {s}"))
            artifact = replace(artifact, **tuned.artifact_fields())
            orders = {order.kind.name: order.describe() for order in tuned.orders}
        path = model.save(artifact, models_dir / retailer_id)
        done.append(Trained(retailer_id, artifact, path, read_s, train_s,
                            time.perf_counter() - started - read_s - train_s, orders))
    return done


def precompute(graph: Graph, cache: redis.Redis, models_dir: Path, *, retailers: list[str] | None = None,
               list_size: int = hybrid.HybridSettings.list_size, now: datetime | None = None,
               version: str | None = None, progress: Callable[[int], None] = lambda _: None,
               total: Callable[[int], None] = lambda _: None, workers: int = 1) -> Summary:
    """Write every trained retailer's lists as a new version and switch readers to it; `workers` threads
    rank the lists.

    FileNotFoundError when no retailer has a trained model; on any failure the served version stays.
    """
    now = now or datetime.now(timezone.utc)
    artifacts = {r: model.load(models_dir / r) for r in (retailers or retailer_ids(graph))
                 if model.latest_version(models_dir / r)}
    if not artifacts:
        raise FileNotFoundError(f"no trained model under {models_dir}: run `c360 train` first")
    version = version or f"o{now.astimezone(timezone.utc):%Y%m%dT%H%M%S%f}"
    return precompute_version(graph, cache, artifacts, version, now, hybrid.HybridSettings(list_size=list_size),
                              progress=progress, total=total, workers=workers)
