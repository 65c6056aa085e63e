"""`c360`: one entry point, a subcommand per job. Each command module adds its own parser."""

from __future__ import annotations

import argparse
import importlib
import sys

from c360.terminal import console

# Each module defines `register(subparsers)`; the handler it sets receives the parsed arguments.
COMMAND_MODULES = (
    "c360.commands.services",
    "c360.commands.serve",
    "c360.commands.load",
    "c360.commands.generate",
    "c360.commands.train",
    "c360.commands.evaluate",
    "c360.commands.precompute",
    "c360.commands.analytics",
    "c360.commands.worker",
    "c360.commands.demo",
)

errors = console(stderr=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c360", description="Retail customer-360: graph, recommender, API.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        errors.print("[yellow]interrupted[/]")
        return 130
    except Exception as exc:  # a command's own errors carry a plain message; no stack trace for users
        if getattr(args, "debug", False):
            raise
        errors.print(f"[red]error:[/] {type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
