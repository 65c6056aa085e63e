"""`c360 evaluate`: judge the hybrid against the baselines on a retailer's data (graph or canonical files)."""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from rich import box
from rich.table import Table

from c360 import connect
from c360.settings import load_settings
from c360.terminal import console
from graph.recsys_reads import products_of_retailer
from recsys import interactions
from recsys.comparison import Report, compare, markdown
from recsys.evaluate import METRICS

out = console()
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timezone.utc)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("evaluate", help="next-basket and next-period evaluation against baselines")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--retailer", metavar="ID", help="a retailer loaded in the graph")
    source.add_argument("--canonical", type=Path, metavar="DIR", help="a canonical import folder (faster)")
    parser.add_argument("--cut", required=True, type=date_arg, metavar="YYYY-MM-DD",
                        help="test cut: train before it, judge what comes after (UTC midnight)")
    parser.add_argument("--period-days", type=int, default=28,
                        help="next-period window and validation offset, in days (default 28)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the tables as Markdown")
    parser.set_defaults(handler=run)


def date_arg(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2017-11-01") from None


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with out.status("reading interactions") as status:
        table, categories = _read(args)
        status.update(f"read {len(table):,} interactions of {table['customer_id'].nunique():,} customers")
        cut = int(args.cut.timestamp())
        if not (table["at"] < cut).any() or not (table["at"] >= cut).any():
            out.print(f"[red]the cut {args.cut:%Y-%m-%d} does not split the data "
                      f"({_day(table['at'].min())} .. {_day(table['at'].max())})[/]")
            return 2
        report = compare(table, cut, args.period_days, categories, step=lambda s: status.update(s))
    _show(report)
    if args.markdown:
        args.markdown.write_text("\n".join(markdown(report)) + "\n")
        out.print(f"Markdown tables written to {args.markdown}")
    out.print(f"evaluated in {time.perf_counter() - started:.0f}s")
    return 0


def _read(args: argparse.Namespace) -> tuple[pd.DataFrame, dict[str, str]]:
    if args.canonical:
        table = interactions.from_canonical(args.canonical)
        products = args.canonical / "products.csv"
        path = products if products.exists() else args.canonical / "products.csv.gz"
        if not path.exists():
            return table, {}
        catalogue = pd.read_csv(path, dtype=str, usecols=["product_id", "category_id"]).dropna()
        return table, dict(zip(catalogue["product_id"], catalogue["category_id"]))
    graph = connect.graph(connect.targets(load_settings()))
    try:
        table = interactions.from_graph(graph, args.retailer, FAR_FUTURE)
        categories = {p["product_id"]: p["category_id"] for p in products_of_retailer(graph, args.retailer)
                      if p["category_id"]}
    finally:
        graph.close()
    if table.empty:
        raise ValueError(f"retailer {args.retailer!r} has no interactions in the graph")
    return table, categories


def _day(epoch: int) -> str:
    return f"{datetime.fromtimestamp(int(epoch), timezone.utc):%Y-%m-%d}"


def _show(report: Report) -> None:
    """One table per protocol and mode, k = 10 above k = 20, so that it fits an 80-column terminal."""
    for protocol, per_mode in report.results.items():
        for mode, per_method in per_mode.items():
            table = Table(title=f"{protocol.replace('_', ' ')}, {mode} items "
                                f"({report.customers[protocol][mode]:,} customers, cut {report.cut[:10]})",
                          title_justify="left", box=box.SIMPLE_HEAD, collapse_padding=True,
                          pad_edge=False)
            table.add_column("method", no_wrap=True)
            for metric in METRICS:
                table.add_column(metric.replace("_", " "), justify="right")
            for k in sorted(next(iter(per_method.values()))):
                table.add_row(f"[bold]at k = {k}[/]")
                for method, result in per_method.items():
                    table.add_row(method, *[f"{result[k][m]:.4f}" for m in METRICS])
            out.print(table)
            out.print(report.versus[protocol][mode].describe())
    out.print("configurations chosen on the validation cut:")
    for method, per_mode in report.chosen.items():
        out.print(f"  {method}: all items {per_mode['all']}; new items {per_mode['new']}")
    for kind, order in report.orders.items():
        out.print(f"  hybrid {kind} order: {order}")
