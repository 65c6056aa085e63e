"""Several server processes on one port, each accepting on a socket of its own (c360.listeners, `c360 serve`)."""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from c360.connect import Targets
from c360.listeners import OwnListener, hold_port, spreads_connections

pytestmark = pytest.mark.skipif(not spreads_connections(), reason="SO_REUSEPORT balancing is Linux's")


def _listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (state 0A in /proc/net/tcp)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == f"0100007F:{port:04X}" and row.split()[3] == "0A")


def test_each_process_s_listener_takes_a_share_of_the_connections() -> None:
    # given the port held, and two listeners as two worker processes get them from uvicorn's pickled socket list
    with hold_port("127.0.0.1", 0) as held:
        port = held.getsockname()[1]
        listener = OwnListener("127.0.0.1", port)
        own = [pickle.loads(pickle.dumps(listener)) for _ in range(2)]
        assert [type(s) for s in own] == [socket.socket, socket.socket]
        assert _listening_sockets(port) == 2            # the held socket listens to nothing

        # when 64 clients connect
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(64)]
        accepted = [0, 0]
        while sum(accepted) < 64:
            ready, _, _ = select.select(own, [], [], 5)
            assert ready, f"only {sum(accepted)} of 64 connections arrived"
            for sock in ready:
                sock.accept()[0].close()
                accepted[own.index(sock)] += 1

        # then the kernel gave each listener some (all on one: a chance of 2 in 2**64)
        assert min(accepted) > 0, accepted
        for sock in clients + own:
            sock.close()


def test_a_port_something_else_listens_on_is_refused_by_name() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot serve on 127.0.0.1:{port}: Address already in use"):
            hold_port("127.0.0.1", port)


def _graphql(port: int, key: str) -> dict[str, object] | None:
    """The answer to `{ __typename }`, or None while nothing answers."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=b'{"query": "{ __typename }"}',
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]
    except OSError:
        return None


def test_serve_with_two_workers_listens_twice_on_its_port(targets: Targets, tmp_path: Path) -> None:
    # given `c360 serve --workers 2` on a free port
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    key = "test-admin-key-0123456789"
    env = {**os.environ, "NEO4J_URI": targets.neo4j_uri, "NEO4J_USER": targets.neo4j_user,
           "NEO4J_PASSWORD": targets.neo4j_password or "", "REDIS_URL": targets.redis_url,
           "C360_DATA_DIR": str(tmp_path), "C360_API_KEYS": f"{key}:admin"}
    c360 = Path(sys.executable).with_name("c360")    # the command pyproject installs beside this Python
    server = subprocess.Popen([str(c360), "serve", "--workers", "2", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        # when it answers
        deadline = time.monotonic() + 60
        while (answer := _graphql(port, key)) is None and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)

        # then it answers from two processes, each listening on a socket of its own
        assert answer == {"data": {"__typename": "Query"}}
        assert _listening_sockets(port) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output = server.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)      # the supervisor and its workers
            raise
    assert server.returncode == 0, output
    assert "2 worker processes, each listening on 127.0.0.1" in output
    assert _listening_sockets(port) == 0
