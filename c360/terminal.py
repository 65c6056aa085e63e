"""The consoles commands print to."""

from __future__ import annotations

import os

from rich.console import Console

LOG_WIDTH = 200   # columns when writing to a file or pipe: rich would assume 80 and crop wide tables to "0.…"


def console(stderr: bool = False) -> Console:
    """A rich console: the terminal's width in a terminal, LOG_WIDTH in a log or pipe unless COLUMNS says."""
    made = Console(stderr=stderr)
    if not made.is_terminal and not os.environ.get("COLUMNS"):
        made.width = LOG_WIDTH
    return made
