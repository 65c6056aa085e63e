"""`c360 load canonical|complete-journey|online-retail PATH`: load files into the graph."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rich.table import Table

from c360 import connect
from c360.settings import load_settings
from c360.terminal import console
from loaders import canonical, complete_journey, online_retail
from loaders.report import LoadSummary
from loaders.rows import LoadError

out = console()
err = console(stderr=True)

Loader = Callable[..., LoadSummary]
LOADERS: dict[str, tuple[Loader, str]] = {
    "canonical": (canonical.load_dir, "a folder in the canonical import format (see README)"),
    "complete-journey": (complete_journey.load_dir,
                         "84.51° The Complete Journey: the folder of its gzip CSVs, "
                         "e.g. ../shared/data/complete_journey"),
    "online-retail": (online_retail.load_dir,
                      "UCI Online Retail: the folder holding online_retail.csv.gz, e.g. ../shared/data/online_retail"),
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("load", help="load a canonical folder or a real data set into the graph")
    kinds = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
    for name, (_, about) in LOADERS.items():
        sub = kinds.add_parser(name, help=about, description=f"Load {about}. Idempotent: loading twice changes "
                               "nothing; an interrupted load can be re-run.")
        sub.add_argument("path", type=Path, metavar="PATH", help="folder to load")
        sub.add_argument("--rejects", type=Path, default=Path("rejects"), metavar="DIR",
                         help="where rejected rows are written, one <file>.rejects.csv per source (default: rejects/)")
        sub.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
        sub.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    load, _ = LOADERS[args.source]
    graph = connect.graph(connect.targets(load_settings()))
    try:
        summary = load(graph, args.path, rejects_dir=args.rejects, progress=not args.no_progress)
    except LoadError as exc:
        err.print(f"[red]load failed, nothing meaningful was loaded:[/] {exc}")
        return 2
    finally:
        graph.close()
    show(summary)
    return 0


def show(summary: LoadSummary) -> None:
    """The closing summary: rows read, written and rejected, and rows per second, per file and in total."""
    table = Table(title="load summary", title_justify="left")
    for column in ("file", "read", "written", "rejected", "seconds", "rows/s"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for s in summary.files:
        table.add_row(s.file, f"{s.read:,}", f"{s.written:,}", f"{s.rejected:,}", f"{s.seconds:.1f}",
                      f"{s.rows_per_second:,.0f}")
    table.add_row("total", f"{summary.read:,}", f"{summary.written:,}", f"{summary.rejected:,}",
                  f"{summary.seconds:.1f}", f"{summary.rows_per_second:,.0f}", style="bold")
    out.print(table)
    if summary.statistics_refreshed:
        out.print("index statistics refreshed: queries from now on are planned on the loaded graph")
    elif summary.statistics_refreshed is False:
        out.print("[yellow]index resampling scheduled only (db.prepareForReplanning was refused or failed; it "
                  "needs an admin user): queries planned in the next minute may still use plans made before the "
                  "load[/]")
    if summary.rejected:
        out.print(f"[yellow]{summary.rejected:,} rejected row(s) with their reasons in {summary.rejects_dir}/[/]")

