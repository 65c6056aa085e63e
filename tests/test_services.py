"""The local-services launcher: start, status, stop, and failure without orphans."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from c360 import services
from graph.driver import open_graph
from graph.retailers import retailer_timezones, upsert_retailers


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_start_status_stop_leaves_nothing_running(tmp_path: Path) -> None:
    # given two services started in a fresh folder
    endpoints = services.start(tmp_path, heap="512m", pagecache="64m", persist=False)
    redis_port = int(endpoints.redis_url.rsplit(":", 1)[1].split("/")[0])
    neo4j_port = int(endpoints.neo4j_uri.rsplit(":", 1)[1])

    # when asked again, the running pair is reused, and then stopped
    assert services.start(tmp_path) == endpoints
    assert services.status(tmp_path) == endpoints
    stopped = services.stop(tmp_path)

    # then both are gone and the state is forgotten
    assert stopped == ["neo4j", "redis"]
    assert services.status(tmp_path) is None
    assert not _answers(redis_port) and not _answers(neo4j_port)


def test_a_restart_on_the_same_folder_keeps_the_data_and_the_password(tmp_path: Path) -> None:
    # given a graph with one retailer, and the services stopped
    first = services.start(tmp_path, heap="512m", pagecache="64m")
    graph = open_graph(first.neo4j_uri, "neo4j", first.neo4j_password, "neo4j")
    upsert_retailers(graph, [{"retailer_id": "r1", "name": "R1", "currency": "EUR", "timezone": "UTC"}])
    graph.close()
    services.stop(tmp_path)

    # when started again
    again = services.start(tmp_path, heap="512m", pagecache="64m")
    try:
        # then the same password opens the same graph
        assert again.neo4j_password == first.neo4j_password
        graph = open_graph(again.neo4j_uri, "neo4j", again.neo4j_password, "neo4j")
        assert retailer_timezones(graph) == {"r1": "UTC"}
        graph.close()
    finally:
        services.stop(tmp_path)


def test_a_neo4j_that_cannot_start_is_reported_with_its_log_and_redis_is_stopped(tmp_path: Path) -> None:
    # given the Bolt port is already taken
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        redis_port = services.free_port()

        # when starting, then the error carries the log's tail
        with pytest.raises(services.ServiceError, match="Neo4j exited during start-up; last lines"):
            services.start(tmp_path, neo4j_port=taken, redis_port=redis_port, heap="512m", pagecache="64m")

    # and the Redis it had started is not left behind
    assert not _answers(redis_port)
    assert services.status(tmp_path) is None
