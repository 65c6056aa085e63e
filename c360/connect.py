"""Turn settings into connections: configured servers (production) or the local services."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from c360 import services
from c360.settings import Settings
from graph.driver import AsyncGraph, Graph, open_async_graph, open_graph
from graph.schema import apply_schema


class NotConfigured(RuntimeError):
    """Neither NEO4J_URI/REDIS_URL nor running local services."""


@dataclass(frozen=True)
class Targets:
    """Resolved addresses and credentials of the graph and the cache."""

    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str | None
    neo4j_database: str
    redis_url: str


def targets(settings: Settings) -> Targets:
    """NEO4J_URI / REDIS_URL when set, else what `c360 services start` recorded."""
    local = None
    if settings.neo4j_uri is None or settings.redis_url is None:
        local = services.status(settings.data_dir)
        if local is None:
            raise NotConfigured("no NEO4J_URI/REDIS_URL set and no local services running under "
                                f"{settings.data_dir}: run `c360 services start` first")
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
    return Targets(
        neo4j_uri=settings.neo4j_uri or local.neo4j_uri,  # type: ignore[union-attr]
        neo4j_user=settings.neo4j_user,
        neo4j_password=password if settings.neo4j_uri else local.neo4j_password,  # type: ignore[union-attr]
        neo4j_database=settings.neo4j_database,
        redis_url=settings.redis_url or local.redis_url,  # type: ignore[union-attr]
    )


def graph(t: Targets) -> Graph:
    return open_graph(t.neo4j_uri, t.neo4j_user, t.neo4j_password, t.neo4j_database)


def ensure_schema(t: Targets) -> int:
    """Create the constraints and indexes the graph lacks (idempotent: an upgrade's new index appears on the next
    start); how many the model declares."""
    opened = graph(t)
    try:
        return apply_schema(opened)
    finally:
        opened.close()


async def async_graph(t: Targets) -> AsyncGraph:
    return await open_async_graph(t.neo4j_uri, t.neo4j_user, t.neo4j_password, t.neo4j_database)


def cache(t: Targets) -> redis.Redis:
    """A sync Redis client (hiredis parser); Redis Cluster URLs are not special-cased here."""
    return redis.Redis.from_url(t.redis_url, decode_responses=False, health_check_interval=30)
