"""Session-wide real Neo4j and Redis, started by the project itself (or taken from C360_TEST_* URLs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from c360 import services
from c360.connect import Targets
from graph.admin import delete_everything
from graph.driver import Graph, open_graph
from graph.schema import apply_schema

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

@pytest.fixture(scope="session")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Targets]:
    """Real services for the whole session; stopped afterwards, and ended with the session however it ends,
    so no process outlives the tests."""
    if os.environ.get("C360_TEST_NEO4J_URI") and os.environ.get("C360_TEST_REDIS_URL"):
        yield Targets(os.environ["C360_TEST_NEO4J_URI"], os.environ.get("C360_TEST_NEO4J_USER", "neo4j"),
                      os.environ.get("C360_TEST_NEO4J_PASSWORD"), "neo4j", os.environ["C360_TEST_REDIS_URL"])
        return
    data_dir = tmp_path_factory.mktemp("services")
    endpoints = services.start(data_dir, heap="2g", pagecache="512m", persist=False, die_with_caller=True)
    try:
        yield Targets(endpoints.neo4j_uri, "neo4j", endpoints.neo4j_password, "neo4j", endpoints.redis_url)
    finally:
        services.stop(data_dir)


@pytest.fixture(scope="session")
def session_graph(targets: Targets) -> Iterator[Graph]:
    graph = open_graph(targets.neo4j_uri, targets.neo4j_user, targets.neo4j_password, targets.neo4j_database)
    apply_schema(graph)
    yield graph
    graph.close()


@pytest.fixture
def graph(session_graph: Graph) -> Graph:
    """The session's graph, emptied before the test (constraints and indexes stay)."""
    delete_everything(session_graph)
    session_graph.round_trips = 0
    return session_graph


@pytest.fixture
def cache(targets: Targets) -> Iterator[redis.Redis]:
    """The session's Redis, flushed before the test."""
    client = redis.Redis.from_url(targets.redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repo; tests that need it skip where it is absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"{SHARED_DATA} is not present")
    return SHARED_DATA
