"""Per-request context: the caller, the process's services and fresh DataLoaders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket

from api.audit import AuditLog
from api.config import ApiConfig, Role
from api.dataloaders import Catalog, Loaders
from api.errors import Forbidden
from api.offers import OfferService
from api.permissions import Caller
from api.sessions import CustomerSessions
from graph.driver import AsyncGraph, Graph


@dataclass
class Services:
    """Opened once by the app's lifespan and shared by every request."""

    config: ApiConfig
    graph: AsyncGraph
    write_graph: Graph
    cache: redis.Redis
    offers: OfferService
    audit: AuditLog
    sessions: CustomerSessions
    catalog: Catalog = field(default_factory=Catalog)
    broadcaster: Any = None

    @property
    def key_hashes(self) -> Mapping[str, Role]:
        return self.config.key_hashes


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    caller: Caller | None
    services: Services
    loaders: Loaders
    pii_reads: dict[str, set[str]] = field(default_factory=dict)
    connection_params: dict[str, Any] | None = None
    customer_session: str | None = None

    def session_refusal(self, customer_id: str) -> str | None:
        """Why this caller may not name `customer_id` (a web or kiosk key without its session); None if it may."""
        if self.caller is None:
            return None
        return self.services.sessions.refusal(self.customer_session, self.caller, customer_id)

    def require_session(self, customer_id: str, field: str) -> None:
        """Raise FORBIDDEN on argument `field` when this caller may not name `customer_id` (api.sessions)."""
        if why := self.session_refusal(customer_id):
            raise Forbidden(why, field=field)

    def issue_session(self, customer_id: str) -> str | None:
        """A customer session for a web or kiosk caller (api.sessions); None for other roles. The workers hear
        that the customer is here, and prepare their history for the events of the visit."""
        token = self.services.sessions.issue(customer_id, self.caller) if self.caller else None
        if token is not None:
            self.services.offers.customer_identified(customer_id)
        return token

    @property
    def graph(self) -> AsyncGraph:
        return self.services.graph

    def note_pii_read(self, customer_id: str, field_name: str) -> None:
        """Remember that this request read a personal field of this customer (for the audit log)."""
        self.pii_reads.setdefault(customer_id, set()).add(field_name)


Info = strawberry.Info[Context, None]
