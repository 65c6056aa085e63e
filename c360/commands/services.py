"""`c360 services start|stop|status`: the local Neo4j and Redis."""

from __future__ import annotations

import argparse
from pathlib import Path

from c360 import connect, services
from c360.settings import load_settings
from c360.terminal import console

out = console()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("services", help="start, stop or inspect the local Neo4j and Redis")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "start":
        if settings.neo4j_uri and settings.redis_url:
            out.print(f"NEO4J_URI and REDIS_URL are set: using {settings.neo4j_uri} and the configured "
                      "Redis; nothing started")
            return 0
        with out.status("starting Neo4j and Redis (the first start downloads Neo4j's jars)"):
            endpoints = services.start(settings.data_dir, neo4j_port=settings.neo4j_port,
                                       redis_port=settings.redis_port, heap=settings.neo4j_heap,
                                       pagecache=settings.neo4j_pagecache)
        _show(endpoints)
        out.print(f"schema: {connect.ensure_schema(connect.targets(settings))} constraints and indexes in place")
        return 0
    if args.action == "stop":
        stopped = services.stop(settings.data_dir)
        out.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
        return 0
    endpoints = services.status(settings.data_dir)
    if endpoints is None:
        out.print(f"not running (data folder {settings.data_dir.resolve()})")
        return 3
    _show(endpoints)
    return 0


def _show(e: services.Endpoints) -> None:
    password_file = Path(e.neo4j_log).parent.parent / "neo4j-password"
    out.print(f"Neo4j  {e.neo4j_uri}  (user neo4j, password in {password_file})  pid {e.neo4j_pid}  log {e.neo4j_log}")
    out.print(f"Redis  {e.redis_url}  pid {e.redis_pid}  log {e.redis_log}")
