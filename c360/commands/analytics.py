"""`c360 analytics`: recompute every customer's figures (RFM, tier, lifecycle, predicted value, replenishment)."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from analytics import holdout, recompute
from analytics.config import AnalyticsConfig
from analytics.export import export_segment
from analytics.recompute import RetailerRun
from c360 import connect
from c360.settings import load_settings
from c360.terminal import console
from graph.analytics import retailers_with_customers
from graph.driver import Graph
from graph.segments import CONTACT_MEDIA

out = console()
err = console(stderr=True)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "analytics", help="recompute customer figures: RFM, value tier, lifecycle, predicted value",
        description="Recompute every customer's RFM scores and segment, value tier, lifecycle stage, predicted "
                    "90-day purchases and spend, churn probability and replenishment due dates in one pass, "
                    "write them to the graph and rebuild saved segments' members. Thresholds: see README "
                    "(Customer analytics); change one with --set NAME=VALUE.")
    parser.add_argument("--retailer", metavar="ID", help="only this retailer (default: every retailer)")
    parser.add_argument("--as-of", type=_aware, metavar="TIME",
                        help="ISO date or time the figures are computed at (default: each retailer's last order)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                        help=f"a threshold, e.g. at_risk_ratio=2.5; names: {', '.join(_names())}")
    parser.add_argument("--check", type=int, metavar="DAYS",
                        help="write nothing: fit on all but the last DAYS days of each retailer's orders, predict "
                             "those DAYS and print the error of BG/NBD against naive baselines")
    parser.add_argument("--export-segment", metavar="ID",
                        help="write nothing to the graph: export the saved segment's members reachable for "
                             "--purpose (and --medium) as CSV to --out")
    parser.add_argument("--out", type=Path, metavar="FILE", help="CSV file for --export-segment (default: stdout)")
    parser.add_argument("--purpose", default="marketing", choices=["marketing", "personalisation", "profiling"],
                        help="consent purpose of the export (default marketing)")
    parser.add_argument("--medium", choices=list(CONTACT_MEDIA),
                        help="only this contact, of customers who granted --purpose on it (default: each "
                             "customer's contacts of the media they granted)")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="graph queries reading histories (and writing figures) at once (default 2)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = config_from(args.settings)
    graph = connect.graph(connect.targets(load_settings()))
    if args.export_segment:
        try:
            return run_export(graph, args)
        finally:
            graph.close()
    if args.check:
        try:
            return run_check(graph, args.retailer, args.check, config)
        finally:
            graph.close()
    started = time.perf_counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=out, disable=args.no_progress) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=total)
            runs = recompute(graph, config=config, as_of=args.as_of, retailer_id=args.retailer, progress=progress,
                             workers=max(args.workers, 1))
    finally:
        graph.close()
    seconds = time.perf_counter() - started
    if not runs:
        out.print("[yellow]no customers in the graph" + (f" of retailer {args.retailer}" if args.retailer else "")
                  + ": load data first (`c360 load`)[/]")
        return 2
    for r in runs:
        _show(r)
    customers = sum(r.customers for r in runs)
    out.print(f"wrote figures of {customers:,} customers of {len(runs)} retailer(s) in {seconds:.1f} s "
              f"({customers / max(seconds, 1e-9):,.0f} customers/s); saved segments' members rebuilt")
    return 0


def run_export(graph: Graph, args: argparse.Namespace) -> int:
    """Write the segment's CSV; say how many rows went where."""
    if args.out is None:
        n = export_segment(graph, args.export_segment, sys.stdout, purpose=args.purpose, medium=args.medium)
        err.print(f"exported {n:,} customers of segment {args.export_segment}")
        return 0
    with args.out.open("w", encoding="utf-8", newline="") as out:
        n = export_segment(graph, args.export_segment, out, purpose=args.purpose, medium=args.medium)
    err.print(f"exported {n:,} customers of segment {args.export_segment} reachable for {args.purpose} to {args.out}")
    return 0


def run_check(graph: Graph, retailer_id: str | None, days: int, config: AnalyticsConfig) -> int:
    """Print the time-split check of every retailer (or one)."""
    retailers = [rid for rid, _ in retailers_with_customers(graph) if retailer_id in (None, rid)]
    for rid in retailers:
        with out.status(f"{rid}: fitting on all but the last {days} days"):
            result = holdout.check_graph(graph, rid, days, config)
        _show_check(result)
    return 0 if retailers else 2


def _show_check(c: holdout.HoldoutCheck) -> None:
    table = Table(title=f"retailer {c.retailer_id}: {c.customers:,} customers, fit up to {c.split}, next "
                        f"{c.holdout_days} days", title_justify="left")
    for column in ("what", "predictor", "MAE", "RMSE", "total predicted", "total actual", "total error"):
        table.add_column(column, justify="left" if column in ("what", "predictor") else "right")
    for what, rows, scale in (("purchase days", c.purchases, 1.0), ("spend", c.spend, 0.01)):
        for e in rows:
            table.add_row(what, e.name, f"{e.mae * scale:,.3f}", f"{e.rmse * scale:,.3f}",
                          f"{e.total_predicted * scale:,.0f}", f"{e.total_actual * scale:,.0f}",
                          f"{e.total_error:+.1%}")
    out.print(table)
    if c.churn_auc is not None:
        out.print(f"  churn probability vs no purchase in the holdout: ROC AUC {c.churn_auc:.3f}")


def config_from(settings: list[str]) -> AnalyticsConfig:
    """AnalyticsConfig with NAME=VALUE overrides, each converted to the field's type."""
    types = {f.name: type(getattr(AnalyticsConfig(), f.name)) for f in fields(AnalyticsConfig)}
    values: dict[str, object] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or name not in types:
            raise ValueError(f"--set {item}: expected NAME=VALUE with NAME one of {', '.join(types)}")
        try:
            values[name] = types[name](value)
        except ValueError:
            raise ValueError(f"--set {item}: {name} must be a {types[name].__name__}") from None
    return AnalyticsConfig(**values)  # type: ignore[arg-type]


def _show(r: RetailerRun) -> None:
    m = r.model
    table = Table(title=f"retailer {m.retailer_id}: {r.customers:,} customers as of {m.as_of}", title_justify="left")
    for column in ("tier", "customers", "customer share", "revenue", "revenue share"):
        table.add_column(column, justify="left" if column == "tier" else "right")
    for s in m.tier_shares:
        table.add_row(s.tier, f"{s.customers:,}", f"{s.customer_share:.1%}", f"{s.revenue_minor / 100:,.2f}",
                      f"{s.revenue_share:.1%}")
    out.print(table)
    stages = ", ".join(f"{name} {n:,}" for name, n in sorted(r.stages.items(), key=lambda kv: -kv[1]))
    out.print(f"  lifecycle: {stages}")
    out.print(f"  median rhythm {m.rhythm_days:.1f} days; {r.replenishments:,} replenishment due dates")
    bg = (f"BG/NBD r={m.bgnbd.r:.3g} alpha={m.bgnbd.alpha:.3g} a={m.bgnbd.a:.3g} b={m.bgnbd.b:.3g}"
          if m.bgnbd else "BG/NBD not fitted (too few customers): no predicted value")
    gg = (f"Gamma-Gamma p={m.gamma_gamma.p:.3g} q={m.gamma_gamma.q:.3g} gamma={m.gamma_gamma.gamma:.3g}"
          if m.gamma_gamma else "Gamma-Gamma not fitted: no predicted spend")
    out.print(f"  {bg}; {gg}")


def _names() -> list[str]:
    return [f.name for f in fields(AnalyticsConfig)]


def _aware(value: str) -> datetime:
    """An ISO date (end of that day, UTC) or time (UTC when it names no zone)."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value} is not an ISO date or time") from None
    if len(value) == 10:
        at = at.replace(hour=23, minute=59, second=59)
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
