"""`c360 worker`: keep next-best-offers fresh as events arrive (run several for more throughput)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
from pathlib import Path
from types import FrameType

from c360 import connect
from c360.commands.train import models_dir
from c360.settings import load_settings
from c360.terminal import console
from recsys.realtime import offers_changed_channel
from recsys.worker import Worker, WorkerSettings

out = console()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("worker", help="recompute a customer's offers after each of their events")
    parser.add_argument("--name", default=f"{socket.gethostname()}-{os.getpid()}",
                        help="consumer name, unique per running worker (default: host-pid)")
    parser.add_argument("--claim-idle-ms", type=int, default=WorkerSettings.claim_idle_ms,
                        help="take over entries another worker left unacknowledged this long (default 30000)")
    parser.add_argument("--history-minutes", type=_minutes, default=WorkerSettings.history_ttl_s / 60,
                        help="keep a customer's history in Redis this long after their last event, so their next "
                             "view is ranked without reading the graph; 0 reads the graph for every event "
                             "(default 30)")
    parser.add_argument("--models", type=Path, metavar="DIR", help="model folder (default: $C360_DATA_DIR/models)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    targets = connect.targets(load_settings())
    graph, cache = connect.graph(targets), connect.cache(targets)
    stopping: list[int] = []

    def stop(signum: int, _: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker = Worker(graph, cache, models_dir(args), WorkerSettings(
        consumer=args.name, claim_idle_ms=args.claim_idle_ms, history_ttl_s=round(args.history_minutes * 60)))

    def ready(models: dict[str, str]) -> None:
        loaded = ", ".join(f"{retailer_id} {version}" for retailer_id, version in models.items()) or "none trained yet"
        out.print(f"worker {args.name}: models loaded and rehearsed: {loaded}")
        out.print(f"worker {args.name}: consuming events; notifications on {offers_changed_channel()}; "
                  "Ctrl-C to stop")

    try:
        stats = worker.run(lambda: bool(stopping), ready)
    finally:
        graph.close()
    out.print(f"worker {args.name} stopped: {stats.entries:,} events, {stats.lists:,} lists rewritten, "
              f"{stats.claimed:,} claimed from other workers, {stats.replayed:,} replayed")
    return 0


def _minutes(value: str) -> float:
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if not minutes >= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of minutes >= 0")
    return minutes
