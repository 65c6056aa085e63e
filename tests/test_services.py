"""The local-services launcher: start, status, stop, and failure without orphans."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
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


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for a parent that may never reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


STARTER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from c360 import services
    for folder, tied in ((sys.argv[1], True), (sys.argv[2], False)):
        services.start(Path(folder), heap="512m", pagecache="64m", persist=False, die_with_caller=tied)
    print("started", flush=True)
    time.sleep(600)
""")


def test_services_tied_to_their_caller_end_with_it_when_it_is_killed(tmp_path: Path) -> None:
    # given a process that started one pair tied to itself and one pair not
    tied, free = tmp_path / "tied", tmp_path / "free"
    root = Path(__file__).resolve().parents[1]
    with subprocess.Popen([sys.executable, "-c", STARTER, str(tied), str(free)], cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, text=True) as starter:
        try:
            assert starter.stdout is not None and starter.stdout.readline() == "started\n"
            pids = {folder: [json.loads((folder / services.STATE_FILE).read_text())[f"{name}_pid"]
                             for name in ("neo4j", "redis")] for folder in (tied, free)}

            # when it is killed outright, with no chance to stop anything
            starter.send_signal(signal.SIGKILL)
            starter.wait()

            # then the tied pair shuts down, and the other keeps running (as `c360 services start` needs)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(_running(pid) for pid in pids[tied]):
                time.sleep(0.2)
            assert not any(_running(pid) for pid in pids[tied])
            assert all(_running(pid) for pid in pids[free])
        finally:
            starter.kill()
            services.stop(tied)
            services.stop(free)
