from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A copy of the hand-made canonical folder (one retailer, every kind of file)."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


@pytest.fixture
def rejects_dir(tmp_path: Path) -> Path:
    return tmp_path / "rejects"
