"""`c360 demo`: local services, the shipped demo data, a trained model, fresh offers, API keys, and the API."""

from __future__ import annotations

import argparse
from pathlib import Path

from c360 import connect, services
from c360.commands.serve import ROLES
from c360.settings import Settings, load_settings
from c360.terminal import console

out = console()
DEMO_DATA = Path(__file__).resolve().parents[2] / "demo" / "data"
KEYS_FILE = "demo-api-keys"          # plain keys, for the person running the demo (0600, under the data folder)
KEY_HASHES_FILE = "demo-api-keys.sha256"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo", help="start everything and serve the demo on http://127.0.0.1:8000/graphql",
        description="Start Neo4j and Redis (unless NEO4J_URI/REDIS_URL are set), load the shipped demo data "
                    "when the graph holds no customer, train, precompute offers, compute analytics, create one "
                    "API key per role, start a realtime worker and serve GraphQL. Re-running reuses what is there.")
    parser.add_argument("--data", type=Path, default=DEMO_DATA, help="canonical folder to load (default: demo/data)")
    parser.add_argument("--fresh", action="store_true", help="empty the graph and the offers first, then reload")
    parser.add_argument("--no-serve", action="store_true", help="prepare everything, print the keys, and exit")
    parser.add_argument("--port", type=int, help="API port (default C360_API_PORT, 8000)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    _ensure_services(settings)
    targets = connect.targets(settings)
    out.print(f"schema: {connect.ensure_schema(targets)} constraints and indexes in place")
    graph, cache = connect.graph(targets), connect.cache(targets)
    try:
        if args.fresh:
            _empty(graph, cache)
        if not _has_customers(graph):
            _step(["load", "canonical", str(args.data), "--rejects", str(settings.data_dir / "rejects")])
        models = settings.data_dir / "models"
        _step(["train", "--models", str(models)])
        _step(["precompute", "--models", str(models)])
        _step(["analytics"])
    finally:
        graph.close()
        cache.close()
    keys = demo_keys(settings.data_dir)
    _show_keys(keys, args.port or settings.api_port)
    if args.no_serve:
        return 0
    return _serve(settings.model_copy(update={"api_keys_file": settings.data_dir / KEY_HASHES_FILE}), models,
                  args.port)


def _ensure_services(settings: Settings) -> None:
    if settings.neo4j_uri and settings.redis_url:
        out.print(f"using the configured servers: {settings.neo4j_uri} and Redis at {settings.redis_url}")
        return
    with out.status("starting Neo4j and Redis (the first start resolves Neo4j's jars)"):
        e = services.start(settings.data_dir, neo4j_port=settings.neo4j_port, redis_port=settings.redis_port,
                           heap=settings.neo4j_heap, pagecache=settings.neo4j_pagecache)
    out.print(f"Neo4j on {e.neo4j_uri}, Redis on {e.redis_url} (data in {settings.data_dir}; "
              "`c360 services stop` stops them)")


def _has_customers(graph: object) -> bool:
    from graph.admin import label_counts  # noqa: PLC0415

    return label_counts(graph).get("Customer", 0) > 0  # type: ignore[arg-type]


def _empty(graph: object, cache: object) -> None:
    from graph.admin import delete_everything  # noqa: PLC0415

    delete_everything(graph)  # type: ignore[arg-type]
    cache.flushdb()  # type: ignore[attr-defined]
    out.print("emptied the graph and the offer cache")


def _step(argv: list[str]) -> None:
    """Run one `c360` command as the demo's next step; stop the demo if it fails."""
    from c360.cli import main  # noqa: PLC0415 (cli imports this module)

    out.rule(f"c360 {' '.join(argv)}")
    code = main(argv)
    if code:
        raise SystemExit(code)


def demo_keys(data_dir: Path) -> dict[str, str]:
    """One API key per role, created on the first run and reused afterwards; hashes in a keys file."""
    from api.config import new_api_key  # noqa: PLC0415 (only the composition root imports api/)

    plain, hashed = data_dir / KEYS_FILE, data_dir / KEY_HASHES_FILE
    if plain.exists() and hashed.exists():
        return dict(line.split(" ", 1)[::-1] for line in plain.read_text().splitlines() if line)
    hashed.unlink(missing_ok=True)
    keys = {role: new_api_key(role, hashed) for role in ROLES}
    plain.touch(mode=0o600)
    plain.write_text("".join(f"{key} {role}\n" for role, key in keys.items()))
    return keys


def _show_keys(keys: dict[str, str], port: int) -> None:
    out.rule("demo API keys (also in the data folder's demo-api-keys; send as header `Authorization: Bearer KEY`)")
    for role, key in keys.items():
        out.print(f"  {role:<13} {key}")
    out.print(f"GraphiQL: http://127.0.0.1:{port}/graphql  (add the header in GraphiQL's Headers tab)")


def _serve(settings: Settings, models: Path, port: int | None) -> int:
    """A realtime worker in a background thread, and the API in the foreground until Ctrl-C."""
    import uvicorn  # noqa: PLC0415

    from api.app import create_app  # noqa: PLC0415
    from c360.commands.serve import api_config  # noqa: PLC0415
    from recsys.worker import Worker, WorkerSettings  # noqa: PLC0415

    targets = connect.targets(settings)
    graph, cache = connect.graph(targets), connect.cache(targets)
    worker = Worker(graph, cache, models, WorkerSettings(consumer="demo"))
    worker.start()
    out.print("realtime worker started: a recordEvent or recordPurchase refreshes that customer's offers")
    try:
        uvicorn.run(create_app(api_config(settings)), host="127.0.0.1", port=port or settings.api_port,
                    loop="uvloop", http="httptools", ws="websockets-sansio", log_level="info")
    finally:
        worker.stop()
        graph.close()
        cache.close()
    return 0
