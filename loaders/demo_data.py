"""The shipped demo data: a subset of complete_journey plus generated omnichannel data (being written)."""

from __future__ import annotations

from pathlib import Path

from loaders.generate import Generated


def build_demo_data(source: Path, folder: Path, *, households: int = 300, seed: int = 0) -> Generated:
    """Not yet written."""
    raise NotImplementedError("make-demo-data is being written")
