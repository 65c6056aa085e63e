"""`c360 train`: train the recommender of each retailer on the graph and save a versioned artifact."""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

from c360 import connect
from c360.settings import load_settings
from graph.recsys_reads import products_of_retailer, retailer_ids
from recsys import interactions, model
from recsys.training import train

out = Console()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("train", help="train the next-best-offer model on the graph")
    parser.add_argument("--retailer", action="append", metavar="ID", help="retailer to train (default: every one)")
    parser.add_argument("--algorithm", choices=model.ALGORITHMS, default=model.ModelSettings.algorithm,
                        help="collaborative model (default: als, the only one the realtime worker can update)")
    parser.add_argument("--factors", type=int, default=model.ModelSettings.factors)
    parser.add_argument("--iterations", type=int, default=model.ModelSettings.iterations)
    parser.add_argument("--regularization", type=float, default=model.ModelSettings.regularization)
    parser.add_argument("--seed", type=int, default=model.ModelSettings.seed)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for training (default 1)")
    parser.add_argument("--models", type=Path, metavar="DIR", help="model folder (default: $C360_DATA_DIR/models)")
    parser.set_defaults(handler=run)


def models_dir(args: argparse.Namespace) -> Path:
    return args.models or load_settings().data_dir / "models"


def run(args: argparse.Namespace) -> int:
    graph = connect.graph(connect.targets(load_settings()))
    settings = model.ModelSettings(algorithm=args.algorithm, factors=args.factors, iterations=args.iterations,
                                   regularization=args.regularization, seed=args.seed, threads=args.threads)
    try:
        retailers = args.retailer or retailer_ids(graph)
        if not retailers:
            out.print("[yellow]no retailer in the graph: load data first (c360 load ...)[/]")
            return 2
        for retailer_id in retailers:
            started = time.perf_counter()
            now = datetime.now(timezone.utc)
            with out.status(f"reading interactions of retailer {retailer_id}"):
                table = interactions.from_graph(graph, retailer_id, now)
                categories = {p["product_id"]: p["category_id"] for p in products_of_retailer(graph, retailer_id)
                              if p["category_id"]}
            if table.empty:
                out.print(f"[yellow]retailer {retailer_id}: no interactions, nothing trained[/]")
                continue
            read_s = time.perf_counter() - started
            with out.status(f"training {settings.algorithm} for retailer {retailer_id}"):
                artifact = train(table, settings, interactions.InteractionSettings(), int(now.timestamp()),
                                 categories)
                path = model.save(artifact, models_dir(args) / retailer_id)
            c = artifact.counts
            out.print(f"retailer {retailer_id}: trained {settings.algorithm} on {c['customers']:,} customers, "
                      f"{c['products']:,} products, {c['interactions']:,} interactions "
                      f"(read {read_s:.1f}s, trained {time.perf_counter() - started - read_s:.1f}s) -> {path}")
    finally:
        graph.close()
    return 0
