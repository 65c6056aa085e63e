"""`c360 train`: train the recommender of each retailer on the graph and save a versioned artifact."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from c360 import connect
from c360.settings import load_settings
from c360.terminal import console
from graph.recsys_reads import retailer_ids
from recsys import jobs, model

out = console()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("train", help="train the next-best-offer model on the graph")
    parser.add_argument("--retailer", action="append", metavar="ID", help="retailer to train (default: every one)")
    parser.add_argument("--algorithm", choices=model.ALGORITHMS, default=model.ModelSettings.algorithm,
                        help="collaborative model (default: als, the only one the realtime worker can update)")
    parser.add_argument("--factors", type=int, default=model.ModelSettings.factors)
    parser.add_argument("--iterations", type=int, default=model.ModelSettings.iterations)
    parser.add_argument("--regularization", type=float, default=model.ModelSettings.regularization)
    parser.add_argument("--seed", type=int, default=model.ModelSettings.seed)
    parser.add_argument("--threads", type=int, help="CPU threads for training (default: one per core; 1 for bpr, "
                                                    "whose parallel updates differ from run to run)")
    parser.add_argument("--tune-days", type=int, default=jobs.TUNE_DAYS, metavar="DAYS",
                        help="tune the served lists' blend weights, and learn their discovery and repurchase "
                             "orders, on what customers bought in the last DAYS days, trained on what came before "
                             "(default 28; 0 keeps the defaults and the blend's order)")
    parser.add_argument("--models", type=Path, metavar="DIR", help="model folder (default: $C360_DATA_DIR/models)")
    parser.set_defaults(handler=run)


def models_dir(args: argparse.Namespace) -> Path:
    return args.models or load_settings().data_dir / "models"


def threads(args: argparse.Namespace) -> int:
    """--threads, else one per core: ALS, item-kNN and customers like you come out the same on any number of
    threads; BPR's parallel updates do not, so it keeps to one unless told."""
    if args.threads:
        return int(args.threads)
    return 1 if args.algorithm == "bpr" else os.cpu_count() or 1


def _weights(run_: jobs.Trained, tune_days: int) -> str:
    weights = run_.artifact.weights
    if not weights:
        return ("the defaults (--tune-days 0)" if not tune_days else
                f"the defaults (no basket to tune on in the last {tune_days} days of sales)")
    listed = ", ".join(f"{name} {value:g}" for name, value in weights.items())
    return f"{listed} (tuned on the last {tune_days} days in {run_.tune_s:.1f}s)"


def run(args: argparse.Namespace) -> int:
    graph = connect.graph(connect.targets(load_settings()))
    settings = model.ModelSettings(algorithm=args.algorithm, factors=args.factors, iterations=args.iterations,
                                   regularization=args.regularization, seed=args.seed, threads=threads(args))
    try:
        if not (args.retailer or retailer_ids(graph)):
            out.print("[yellow]no retailer in the graph: load data first (c360 load ...)[/]")
            return 2
        with out.status("training") as status:
            trained = jobs.train(graph, models_dir(args), retailers=args.retailer, settings=settings,
                                 tune_days=args.tune_days, on_status=status.update)
    finally:
        graph.close()
    if not trained:
        out.print("[yellow]no interactions in the graph: nothing trained[/]")
        return 2
    for run_ in trained:
        c = run_.artifact.counts
        out.print(f"retailer {run_.retailer_id}: trained {settings.algorithm} ({settings.threads} thread"
                  f"{'s' if settings.threads > 1 else ''}) on {c['customers']:,} customers, "
                  f"{c['products']:,} products, {c['interactions']:,} interactions ({c['matrix_entries']:,} "
                  f"customer x product cells); read {run_.read_s:.1f}s, trained {run_.train_s:.1f}s -> "
                  f"{run_.path} (version {run_.artifact.version})")
        out.print(f"  blend weights: {_weights(run_, args.tune_days)}")
        for kind, order in run_.orders.items():
            out.print(f"  {kind} order: {order}")
    return 0
