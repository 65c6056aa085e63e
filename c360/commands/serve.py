"""`c360 serve` (the GraphQL API under uvicorn), `c360 schema` (schema.graphql) and `c360 api-key ROLE`."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path
from typing import Any

from c360 import connect, listeners
from c360.settings import Settings, load_settings
from c360.terminal import console

out = console()
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
ROLES = ("service_desk", "web", "kiosk", "integrator", "admin")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = subparsers.add_parser("serve", help="serve the GraphQL API (GraphiQL on /graphql)")
    serve.add_argument("--host", help="bind address (default C360_API_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default C360_API_PORT, 8000)")
    serve.add_argument("--workers", type=int, help="server processes sharing the port (default C360_API_WORKERS, "
                                                   "1); about one per core")
    serve.add_argument("--no-graphiql", action="store_true", help="do not serve the GraphiQL page "
                                                                   "(C360_API_GRAPHIQL=false)")
    serve.add_argument("--access-log", action="store_true", help="log every request (costs throughput)")
    serve.set_defaults(handler=run_serve)
    schema = subparsers.add_parser("schema", help="write schema.graphql from the code (or --check it)")
    schema.add_argument("--output", type=Path, default=SCHEMA_FILE)
    schema.add_argument("--check", action="store_true", help="exit 1 if the file differs from the code")
    schema.set_defaults(handler=run_schema)
    key = subparsers.add_parser("api-key", help="create an API key for a role; prints it once")
    key.add_argument("role", choices=ROLES)
    key.add_argument("--file", type=Path, help="append its sha256 line to this keys file (C360_API_KEYS_FILE)")
    key.set_defaults(handler=run_api_key)


def api_config(settings: Settings, *, graphiql: bool = True):  # type: ignore[no-untyped-def]
    """ApiConfig from settings and the resolved Neo4j/Redis targets."""
    from api.config import ApiConfig, keys_from_file, keys_from_pairs  # noqa: PLC0415 (keeps `c360 --help` fast)

    t = connect.targets(settings)
    keys = keys_from_pairs(settings.api_keys)
    if settings.api_keys_file:
        keys |= keys_from_file(settings.api_keys_file)
    secret = settings.session_secret.get_secret_value() if settings.session_secret else None
    return ApiConfig(neo4j_uri=t.neo4j_uri, neo4j_user=t.neo4j_user, neo4j_password=t.neo4j_password,
                     neo4j_database=t.neo4j_database, redis_url=t.redis_url, key_hashes=keys, graphiql=graphiql,
                     session_secret=secret, session_minutes=settings.session_minutes,
                     warm_up_every_s=settings.api_warm_up_every_s)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415

    if args.no_graphiql:
        os.environ["C360_API_GRAPHIQL"] = "false"   # read again by every worker process
    settings = load_settings()
    config = api_config(settings, graphiql=settings.api_graphiql)
    if not config.key_hashes:
        out.print("[yellow]no API keys configured (C360_API_KEYS or C360_API_KEYS_FILE): every query is refused[/]")
    _ensure_schema(settings)
    host, port = args.host or settings.api_host, args.port or settings.api_port
    workers = args.workers or settings.api_workers
    roles = sorted({r.value for r in config.key_hashes.values()})
    out.print(f"GraphQL on http://{host}:{port}/graphql  ({len(config.key_hashes)} API keys: {', '.join(roles)}; "
              f"{workers} worker process{'es' if workers > 1 else ''})")
    options = {"host": host, "port": port, "loop": "uvloop", "http": "httptools", "access_log": args.access_log,
               "log_level": "info", "log_config": _log_config(), "ws": "websockets-sansio"}
    if workers > 1:
        # one customer-session secret for every process (each reads the settings again); without a configured
        # one, sessions last until this server stops
        os.environ.setdefault("C360_SESSION_SECRET", secrets.token_urlsafe(32))
        if listeners.spreads_connections():
            return _serve_workers(workers, options)
        uvicorn.run("c360.commands.serve:app_from_settings", factory=True, workers=workers,  # one shared socket
                    **options)
    else:
        from api.app import create_app  # noqa: PLC0415

        uvicorn.run(create_app(config), **options)
    return 0


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with the API's own messages (the start-up's plan warm-up, errors) beside uvicorn's."""
    from uvicorn.config import LOGGING_CONFIG  # noqa: PLC0415

    api = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return LOGGING_CONFIG | {"loggers": LOGGING_CONFIG["loggers"] | {"api": api}}


def _serve_workers(workers: int, options: dict[str, Any]) -> int:
    """uvicorn's worker processes (restarted when they die, SIGHUP restarts, SIGTTIN/SIGTTOU add and remove one),
    each accepting on a listening socket of its own (c360.listeners)."""
    import uvicorn  # noqa: PLC0415
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    try:
        held = listeners.hold_port(options["host"], options["port"])
    except OSError as exc:
        out.print(f"[red]{exc.strerror}[/]")
        return 1
    with held:
        host, port = held.getsockname()[:2]
        config = uvicorn.Config("c360.commands.serve:app_from_settings", factory=True, workers=workers,
                                **options | {"host": host, "port": port})
        out.print(f"{workers} worker processes, each listening on {host}:{port} (SO_REUSEPORT)")
        try:
            Multiprocess(config, sockets=[listeners.OwnListener(host, port)]).run()  # type: ignore[list-item]
        except KeyboardInterrupt:
            pass
    return 0


def _ensure_schema(settings: Settings) -> None:
    """The constraints and indexes the API's queries rely on (a name search needs its full-text index)."""
    from neo4j.exceptions import Forbidden  # noqa: PLC0415

    try:
        out.print(f"schema: {connect.ensure_schema(connect.targets(settings))} constraints and indexes in place")
    except Forbidden as exc:     # a production user without schema rights: the deployment must create them
        out.print(f"[yellow]could not check the graph's constraints and indexes ({exc.message}); create them "
                  "with a user allowed to (`c360 services start` or any `c360 load` does)[/]")


def app_from_settings():  # type: ignore[no-untyped-def]
    """The API app from the environment's settings: what each of several server processes runs."""
    from api.app import create_app  # noqa: PLC0415

    settings = load_settings()
    return create_app(api_config(settings, graphiql=settings.api_graphiql))


def run_schema(args: argparse.Namespace) -> int:
    from api.schema import schema_sdl  # noqa: PLC0415

    sdl = schema_sdl()
    if args.check:
        same = args.output.exists() and args.output.read_text() == sdl
        out.print(f"{args.output} is up to date" if same else f"[red]{args.output} differs: run `c360 schema`[/]")
        return 0 if same else 1
    args.output.write_text(sdl)
    out.print(f"wrote {args.output} ({len(sdl.splitlines())} lines)")
    return 0


def run_api_key(args: argparse.Namespace) -> int:
    from api.config import hash_key, new_api_key  # noqa: PLC0415

    key = new_api_key(args.role, args.file)
    if args.file:
        out.print(f"appended its hash to {args.file} (serve with C360_API_KEYS_FILE={args.file})")
    else:
        out.print(f"keys file line: sha256:{hash_key(key)} {args.role}")
    out.print(f"API key for {args.role} (shown once): {key}")
    return 0
