"""The graph a benchmark runs against: the one at NEO4J_URI, or a throw-away local Neo4j."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from c360 import connect, services
from c360.settings import load_settings
from graph.driver import Graph, open_graph


@contextmanager
def target_graph() -> Iterator[tuple[Graph, int | None]]:
    """(graph, pid of its Neo4j when local): the configured graph, or one on services started for this run
    in a temporary folder (2 GB heap, 1 GB page cache), stopped afterwards or when the benchmark is killed."""
    if os.environ.get("NEO4J_URI"):
        graph = connect.graph(connect.targets(load_settings()))
        try:
            yield graph, local_neo4j_pid()
        finally:
            graph.close()
        return
    with tempfile.TemporaryDirectory(prefix="c360-bench-") as folder:
        endpoints = services.start(Path(folder), heap="2g", pagecache="1g", persist=False, die_with_caller=True)
        try:
            graph = open_graph(endpoints.neo4j_uri, "neo4j", endpoints.neo4j_password, "neo4j")
            try:
                yield graph, endpoints.neo4j_pid
            finally:
                graph.close()
        finally:
            services.stop(Path(folder))


def local_neo4j_pid() -> int | None:
    """The pid of the Neo4j that `c360 services` runs under C360_DATA_DIR, if that is the configured one."""
    settings = load_settings()
    running = services.status(settings.data_dir)
    return running.neo4j_pid if running and running.neo4j_uri == settings.neo4j_uri else None
