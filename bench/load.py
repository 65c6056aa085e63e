"""Load benchmark: complete_journey and online_retail, in full, into an empty graph; prints rows/s per file.

    .venv/bin/python bench/load.py [--data ../shared/data] [--only complete_journey|online_retail] [--wipe]

Uses NEO4J_URI / NEO4J_PASSWORD / REDIS_URL when set (the graph must be empty, or pass --wipe to empty it);
otherwise starts its own Neo4j and Redis in a temporary folder and stops them afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.graphs import target_graph  # noqa: E402
from graph.admin import delete_everything, label_counts  # noqa: E402
from graph.census import relationship_counts  # noqa: E402
from graph.driver import Graph  # noqa: E402
from loaders import complete_journey, online_retail  # noqa: E402
from loaders.report import LoadSummary  # noqa: E402

SETS: dict[str, Callable[..., LoadSummary]] = {
    "complete_journey": complete_journey.load_dir,
    "online_retail": online_retail.load_dir,
}
GOAL_SECONDS = 60.0   # the goal for the whole of complete_journey on a 2-core machine


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a local process has used so far (0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def empty_graph(wipe: bool) -> Iterator[tuple[Graph, int | None]]:
    """The benchmark's graph (bench.graphs.target_graph), checked empty or wiped."""
    with target_graph() as (graph, pid):
        if sum(label_counts(graph).values()):
            if not wipe:
                sys.exit("the graph at NEO4J_URI is not empty; pass --wipe to empty it first")
            delete_everything(graph)
        yield graph, pid


def report(name: str, summary: LoadSummary, python_cpu: float, neo4j_cpu: float) -> None:
    print(f"\n{name}: {summary.read:,} rows read, {summary.written:,} written, {summary.rejected:,} rejected "
          f"in {summary.seconds:.1f} s = {summary.rows_per_second:,.0f} rows/s")
    print(f"  CPU: loader (Python) {python_cpu:.1f} s, Neo4j {neo4j_cpu:.1f} s"
          + ("" if neo4j_cpu else " (Neo4j not local: not measured)"))
    for s in summary.files:
        print(f"  {s.file:<32} {s.read:>10,} rows {s.seconds:>7.1f} s {s.rows_per_second:>10,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", choices=sorted(SETS), action="append")
    parser.add_argument("--wipe", action="store_true", help="empty the configured graph first")
    args = parser.parse_args()
    started = time.perf_counter()
    with empty_graph(args.wipe) as (graph, pid), tempfile.TemporaryDirectory() as rejects:
        summaries = {}
        for name in args.only or list(SETS):
            python_cpu, neo4j_cpu = time.process_time(), cpu_seconds(pid)
            summaries[name] = SETS[name](graph, args.data / name, rejects_dir=Path(rejects) / name, progress=False)
            report(name, summaries[name], time.process_time() - python_cpu, cpu_seconds(pid) - neo4j_cpu)
        print("\nnodes:", dict(sorted(label_counts(graph).items())))
        print("relationships:", dict(sorted(relationship_counts(graph).items())))
    total = sum(s.read for s in summaries.values())
    seconds = sum(s.seconds for s in summaries.values())
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"\ntotal: {total:,} rows in {seconds:.1f} s of loading ({time.perf_counter() - started:.1f} s wall "
          f"with start-up) = {total / seconds:,.0f} rows/s")
    if "complete_journey" in summaries:
        cj = summaries["complete_journey"].seconds
        print(f"complete_journey: {cj:.1f} s against a goal of {GOAL_SECONDS:.0f} s (ratio {cj / GOAL_SECONDS:.2f})")


if __name__ == "__main__":
    main()
