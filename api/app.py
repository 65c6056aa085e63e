"""create_app(ApiConfig) -> Starlette: GraphQL (HTTP + graphql-transport-ws) on /graphql, health on /health."""

from __future__ import annotations

import asyncio
import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import orjson
import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.audit import AuditLog
from api.broadcast import Broadcaster
from api.config import ApiConfig
from api.context import Context, Services
from api.dataloaders import Loaders
from api.errors import CACHE_DOWN, GRAPH_DOWN
from api.offers import OfferService
from api.permissions import authenticate, key_from_headers
from api.schema import build_schema
from api.sessions import SESSION_HEADER, CustomerSessions
from api.warm_up import keep_warm, warm_up
from graph.driver import open_async_graph, open_graph
from graph.profiles import ping
from recsys.offers import OfferReader


class C360GraphQL(GraphQL):  # type: ignore[type-arg]
    """Strawberry's ASGI view with our context and API-key authentication (headers or connection_init)."""

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        services: Services = request.app.state.services
        caller = authenticate(key_from_headers(request.headers), services.key_hashes)
        return Context(request=request, caller=caller, services=services,
                       loaders=Loaders.create(services.graph, services.catalog),
                       customer_session=request.headers.get(SESSION_HEADER))

    def decode_json(self, data: str | bytes) -> object:
        """orjson: its JSONDecodeError is json's, so a bad body is still answered 400."""
        return orjson.loads(data)

    def encode_json(self, data: object) -> str:
        """orjson: about 10x faster than json on a customer-360 answer; text, which WebSocket frames must be."""
        return orjson.dumps(data).decode()

    async def on_ws_connect(self, context: Context) -> None:
        params = context.connection_params or {}
        params = params if isinstance(params, dict) else {}
        key = params.get("apiKey")
        if isinstance(params.get("customerSession"), str):
            context.customer_session = params["customerSession"]
        if context.caller is None and isinstance(key, str):
            context.caller = authenticate(key, context.services.key_hashes)
        if context.caller is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED",
                                            "message": "send connection_init payload {\"apiKey\": \"<key>\"}"})


async def open_services(config: ApiConfig) -> Services:
    """Connect to Neo4j (async for reads, sync for the loaders' write functions) and Redis."""
    graph = await open_async_graph(config.neo4j_uri, config.neo4j_user, config.neo4j_password, config.neo4j_database,
                                   retry_s=config.graph_retry_s)
    write_graph = open_graph(config.neo4j_uri, config.neo4j_user, config.neo4j_password, config.neo4j_database)
    cache = redis.Redis.from_url(config.redis_url, socket_timeout=config.redis_timeout_s,
                                 socket_connect_timeout=config.redis_timeout_s, health_check_interval=30)
    return Services(config=config, graph=graph, write_graph=write_graph, cache=cache,
                    offers=OfferService(OfferReader(cache), graph), audit=AuditLog(cache),
                    broadcaster=Broadcaster(config.redis_url),
                    sessions=CustomerSessions(config.session_secret or secrets.token_urlsafe(32),
                                              config.session_minutes))


async def close_services(services: Services) -> None:
    await services.broadcaster.close()
    services.audit.flush()
    services.cache.close()
    services.write_graph.close()
    await services.graph.close()


async def health(request: Request) -> JSONResponse:
    """{"graph": "ok"|"unavailable", "cache": ...}; status 503 when either is down."""
    services: Services = request.app.state.services
    state = {"graph": "ok", "cache": "ok"}
    try:
        await ping(services.graph)
    except GRAPH_DOWN:
        state["graph"] = "unavailable"
    try:
        services.cache.ping()
    except CACHE_DOWN:
        state["cache"] = "unavailable"
    return JSONResponse(state, status_code=200 if set(state.values()) == {"ok"} else 503)


def create_app(config: ApiConfig) -> Starlette:
    """The ASGI app; connections open in the lifespan (nothing connects at import or here)."""
    view = C360GraphQL(build_schema(config.limits), graphql_ide="graphiql" if config.graphiql else None,
                       subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.services = await open_services(config)
        app.state.services.offers.prime()   # before the first request, not during it
        await warm_up(app.state.services)   # Neo4j's plans for the hot queries, likewise
        keeping = asyncio.create_task(keep_warm(app.state.services, config.warm_up_every_s)) \
            if config.warm_up_every_s else None
        gc.collect()
        gc.freeze()     # the start-up heap out of the collector's sight: a full pass over it took 110-140 ms
        try:
            yield
        finally:
            if keeping:
                keeping.cancel()
                with suppress(asyncio.CancelledError):
                    await keeping
            await close_services(app.state.services)
            gc.unfreeze()   # collectable again (a test process starts many apps)

    routes = [Route("/graphql", view, methods=["GET", "POST"]), WebSocketRoute("/graphql", view),
              Route("/health", health)]
    return Starlette(routes=routes, lifespan=lifespan)
