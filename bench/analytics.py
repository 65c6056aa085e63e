"""Analytics benchmark: full recompute (`c360 analytics`) per retailer; prints seconds and customers/s.

    .venv/bin/python bench/analytics.py [--load-complete-journey DIR] [--load-canonical DIR] [--retailer ID]

Uses the graph at NEO4J_URI / NEO4J_PASSWORD (loading the given folders into it first); without NEO4J_URI it
starts its own Neo4j in a temporary folder, loads the folders and stops it afterwards. The issue's goal: a
generated retailer of 100,000 customers (`c360 generate --customers 100000 DIR`, loaded with
--load-canonical DIR) recomputed in under 60 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import recompute  # noqa: E402
from analytics.recompute import WRITE_BATCH  # noqa: E402
from bench.graphs import target_graph  # noqa: E402
from graph.analytics import count_customers, retailers_with_customers  # noqa: E402
from graph.driver import Graph  # noqa: E402
from loaders import canonical, complete_journey  # noqa: E402

GOAL_SECONDS = 60.0
GOAL_CUSTOMERS = 100_000


class Phases:
    """Progress callback that notes when each phase (reading, writing) of each retailer ends."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        name = phase.split(": ")[-1]
        self.first.setdefault(name, time.perf_counter() - self.started)
        self.last[name] = time.perf_counter() - self.started


def bench_retailer(graph: Graph, retailer_id: str, workers: int) -> tuple[int, float]:
    """Customers and seconds of one full recompute; prints its phases."""
    phases = Phases()
    started = time.perf_counter()
    [run] = recompute(graph, retailer_id=retailer_id, progress=phases, workers=workers)
    seconds = time.perf_counter() - started
    read = phases.last.get("reading", 0.0)
    write = phases.last.get("writing", read) - phases.first.get("writing", read)  # all batches but the first
    batches = max(-(-run.customers // WRITE_BATCH) - 1, 1)
    write += write / batches
    fit = seconds - read - write
    print(f"{retailer_id:>12}, {workers} reader(s): {run.customers:>9,} customers in {seconds:7.1f} s = "
          f"{run.customers / seconds:>8,.0f} customers/s (read {read:.1f} s, fit + score {fit:.1f} s, "
          f"write + segments ~{write:.1f} s); BG/NBD {'fitted' if run.model.bgnbd else 'not fitted'}")
    return run.customers, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load-complete-journey", type=Path, metavar="DIR")
    parser.add_argument("--load-canonical", type=Path, metavar="DIR", action="append", default=[])
    parser.add_argument("--retailer", action="append", metavar="ID", help="only these retailers")
    parser.add_argument("--workers", type=int, action="append", metavar="N",
                        help="reading queries at once (default: 1 and 2, each measured)")
    args = parser.parse_args()
    with target_graph() as (graph, _), tempfile.TemporaryDirectory() as rejects:
        if args.load_complete_journey:
            complete_journey.load_dir(graph, args.load_complete_journey, rejects_dir=Path(rejects), progress=True)
        for folder in args.load_canonical:
            canonical.load_dir(graph, folder, rejects_dir=Path(rejects), progress=True)
        retailers = [r for r, _ in retailers_with_customers(graph) if not args.retailer or r in args.retailer]
        if not retailers:
            sys.exit("no customers in the graph: pass --load-complete-journey or --load-canonical")
        print(f"full recompute on {os.cpu_count()} cores, one retailer at a time:")
        for retailer_id, workers in [(r, w) for r in retailers for w in args.workers or [1, 2]]:
            customers, seconds = bench_retailer(graph, retailer_id, workers)
            if customers >= GOAL_CUSTOMERS:
                scaled = seconds * GOAL_CUSTOMERS / customers
                verdict = "met" if scaled < GOAL_SECONDS else "NOT met"
                print(f"{'':>12}  goal {GOAL_CUSTOMERS:,} customers < {GOAL_SECONDS:.0f} s: {scaled:.1f} s "
                      f"per {GOAL_CUSTOMERS:,} ({verdict}); {count_customers(graph, retailer_id):,} in the graph")


if __name__ == "__main__":
    main()
