"""`c360 precompute`: every customer's next-best-offers into Redis as a new version (or roll back)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from c360 import connect
from c360.commands.train import models_dir
from c360.settings import load_settings
from c360.terminal import console
from recsys import hybrid, jobs, offers

out = console()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("precompute", help="write every customer's next-best-offers into Redis")
    parser.add_argument("--retailer", action="append", metavar="ID", help="retailer (default: every trained one)")
    parser.add_argument("--list-size", type=int, default=hybrid.HybridSettings.list_size, metavar="N",
                        help="offers kept per customer (default 50)")
    parser.add_argument("--models", type=Path, metavar="DIR", help="model folder (default: $C360_DATA_DIR/models)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="threads ranking the lists, 1,000 customers at a time (default: one per core)")
    parser.add_argument("--rollback", action="store_true", help="serve the previous version again, compute nothing")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    targets = connect.targets(load_settings())
    cache = connect.cache(targets)
    if args.rollback:
        restored = offers.rollback(cache)
        out.print(f"now serving version {restored}" if restored else "[yellow]no previous version to roll back to[/]")
        return 0 if restored else 2
    graph = connect.graph(targets)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=out) as bar:
            task = bar.add_task("precomputing next-best-offers", total=None)
            summary = jobs.precompute(graph, cache, models_dir(args), retailers=args.retailer,
                                      list_size=args.list_size, workers=args.workers,
                                      progress=lambda n: bar.advance(task, n),
                                      total=lambda n: bar.update(task, total=(bar.tasks[0].total or 0) + n))
    except FileNotFoundError as exc:
        out.print(f"[yellow]{exc}[/]")
        return 2
    finally:
        graph.close()
    out.print(f"version {summary.version} is now served: {summary.customers:,} customers, {summary.products:,} "
              f"products, {summary.stores:,} stores, {summary.identities:,} identities of "
              f"{', '.join(summary.retailers)}; read {summary.read_s:.1f}s, "
              f"lists {summary.write_s:.1f}s ({summary.customers_per_s:,.0f} customers/s, {summary.ranking_threads} "
              f"ranking thread{'s' if summary.ranking_threads > 1 else ''}), catalogue "
              f"{summary.catalogue_s:.1f}s; previous version kept "
              "for `c360 precompute --rollback`")
    return 0
