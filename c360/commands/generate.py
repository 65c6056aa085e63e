"""`c360 generate` (a synthetic retailer) and `c360 make-demo-data` (the shipped demo set)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from c360.terminal import console
from loaders.demo_data import build_demo_data
from loaders.generate import generate_retailer

out = console()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    gen = subparsers.add_parser(
        "generate", help="write a synthetic omnichannel retailer as canonical files (for scale tests)",
        description="Write canonical import files (<kind>.csv.gz) of a synthetic retailer 'gen' (EUR, "
                    "Europe/Amsterdam): stores, products with Zipf popularity, customers with duplicate "
                    "profiles and dormant ones, orders on pos/web/kiosk/app, events, consents, campaigns, "
                    "service cases. The same --customers, --seed and --days give byte-identical files. "
                    "Load them with `c360 load canonical DIR`.")
    gen.add_argument("--customers", type=_positive, default=10_000, help="customer profiles (default 10000)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--days", type=int, default=365, help="days of history from 2025-01-01 (default 365)")
    gen.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    gen.add_argument("folder", type=Path, metavar="DIR", help="folder to write (created if missing)")
    gen.set_defaults(handler=run_generate)
    demo = subparsers.add_parser(
        "make-demo-data", help="rebuild demo/data from complete_journey (plus generated web, identities, consents)",
        description="Rebuild the shipped demo data (canonical format, gzip CSV): every row of a deterministic "
                    "choice of complete_journey households with demographics (their baskets, the products they "
                    "bought, their stores, campaigns, coupons, redemptions, recent promotions), plus generated "
                    "(invented, seeded) names, contact, identities, consents, store formats and regions, "
                    "web/app/kiosk orders and returns, events, service cases and a few second profiles for "
                    "those same households. Same source, --households and --seed: byte-identical files.")
    demo.add_argument("--source", "--from", dest="source", type=Path, required=True, metavar="PATH",
                      help="the complete_journey folder, e.g. ../shared/data/complete_journey")
    demo.add_argument("--out", dest="folder", type=Path, default=Path("demo/data"), metavar="DIR",
                      help="folder to write (default demo/data)")
    demo.add_argument("--households", type=_positive, default=250, help="households to keep (default 250)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the generated parts (default 0)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    demo.set_defaults(handler=run_make_demo_data)


def run_generate(args: argparse.Namespace) -> int:
    done = generate_retailer(args.folder, args.customers, args.seed, days=args.days, progress=not args.no_progress)
    _show(f"generated {args.customers:,} customers (seed {args.seed}) into {done.folder}", done.rows, done.sizes,
          done.seconds)
    return 0


def run_make_demo_data(args: argparse.Namespace) -> int:
    if not args.source.is_dir():
        raise FileNotFoundError(f"{args.source}: not a folder (expected the complete_journey gzip CSVs)")
    done = build_demo_data(args.source, args.folder, households=args.households, seed=args.seed,
                           progress=not args.no_progress)
    _show(f"demo data ({args.households:,} complete_journey households, seed {args.seed}) into {done.folder}",
          done.rows, done.sizes, done.seconds)
    return 0


def _show(title: str, rows: dict[str, int], sizes: dict[str, int], seconds: float) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("file", "rows", "bytes"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for name in rows:
        table.add_row(f"{name}.csv.gz", f"{rows[name]:,}", f"{sizes[name]:,}")
    table.add_row("total", f"{sum(rows.values()):,}", f"{sum(sizes.values()):,}", style="bold")
    out.print(table)
    out.print(f"{seconds:.1f} s, {sum(rows.values()) / max(seconds, 1e-9):,.0f} rows/s")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return number
