"""schemathesis fuzzes every root field of the schema against a running uvicorn: never a server error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.config import Role
from api.schema import schema_sdl
from c360.services import free_port
from graph.admin import delete_everything
from loaders.canonical import load_dir
from tests.api.conftest import KEYS, api_config

schema = schemathesis.graphql.from_file(schema_sdl())


@pytest.fixture(scope="module")
def server(session_graph: Any, targets: Any, shop_dir: Path) -> Iterator[str]:
    """The small shop in the graph and the app under uvicorn on a free loopback port."""
    delete_everything(session_graph)
    load_dir(session_graph, shop_dir, progress=False)
    port = free_port()
    config = uvicorn.Config(create_app(api_config(targets)), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100_000):
        if running.started:
            break
        thread.join(0.01)
    yield f"http://127.0.0.1:{port}/graphql"
    running.should_exit = True
    thread.join()


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_query_causes_a_server_error(case: Any, server: str) -> None:
    response = case.call(base_url=server, headers={"Authorization": f"Bearer {KEYS[Role.ADMIN]}"})
    assert response.status_code < 500, response.text
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_ERROR" not in codes, (case.body, body)
