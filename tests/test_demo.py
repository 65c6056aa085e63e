"""The README's demo command prepares a working demo from the shipped data (everything but serving)."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from c360.cli import main
from c360.connect import Targets
from graph.admin import label_counts
from graph.driver import Graph
from graph.schema import existing_indexes
from recsys import offers


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch, targets: Targets, tmp_path: Path) -> Path:
    """`c360` pointed at the test services, with its data folder in a temporary directory."""
    monkeypatch.setenv("NEO4J_URI", targets.neo4j_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", targets.neo4j_password or "")
    monkeypatch.setenv("REDIS_URL", targets.redis_url)
    monkeypatch.setenv("C360_DATA_DIR", str(tmp_path))
    return tmp_path


def test_demo_prepares_everything_and_reuses_it_when_run_again(graph: Graph, cache: redis.Redis,
                                                                demo_env: Path) -> None:
    # when
    code = main(["demo", "--no-serve"])
    # then
    assert code == 0
    counts = label_counts(graph)
    assert counts["Customer"] >= 100 and counts["Order"] > 1_000 and counts["Event"] > 0
    assert offers.current_version(cache) is not None
    keys = dict(line.split(" ")[::-1] for line in (demo_env / "demo-api-keys").read_text().splitlines())
    assert set(keys) == {"service_desk", "web", "kiosk", "integrator", "admin"}
    assert (demo_env / "demo-api-keys").stat().st_mode & 0o777 == 0o600
    # and when run again, the data and the keys are reused, and an index the graph lacks (one a newer version
    # added, say) is created
    graph.write("DROP INDEX customer_names")
    assert main(["demo", "--no-serve"]) == 0
    assert existing_indexes(graph)["customer_names"][2] == "ONLINE"
    assert label_counts(graph)["Customer"] == counts["Customer"]
    assert dict(line.split(" ")[::-1] for line in (demo_env / "demo-api-keys").read_text().splitlines()) == keys
