"""The schema: per-domain Query/Mutation/Subscription classes merged, plus the extensions.

To add fields from another package (analytics), write a class in api/queries/<domain>.py (or
mutations/) and add it to QUERIES (or MUTATIONS); fields on Customer go in api/types/customer.py.
"""

from __future__ import annotations

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, ParserCache
from strawberry.schema.config import StrawberryConfig

from api.config import Limits
from api.errors import PublicErrors
from api.executor import LeanExecutor, lean_resolvers
from api.extensions import limit_rules, request_policy, validation_cache
from api.mutations.customers import CustomerMutation
from api.mutations.events import EventMutation
from api.mutations.merges import MergeMutation
from api.mutations.segments import SegmentMutation
from api.mutations.service_cases import ServiceCaseMutation
from api.queries.audiences import AudienceQuery
from api.queries.audit import AuditQuery
from api.queries.catalog import CatalogQuery
from api.queries.customer import CustomerQuery
from api.queries.offers import OfferQuery
from api.scalars import OVERRIDES
from api.subscriptions import OfferSubscription

QUERIES: tuple[type, ...] = (CustomerQuery, OfferQuery, CatalogQuery, AuditQuery, AudienceQuery)
MUTATIONS: tuple[type, ...] = (EventMutation, CustomerMutation, MergeMutation, ServiceCaseMutation, SegmentMutation)
SUBSCRIPTIONS: tuple[type, ...] = (OfferSubscription,)
DOCUMENT_CACHE = 1_024


def root(name: str, parts: tuple[type, ...], description: str) -> type:
    """One root type holding the fields of every per-domain class (like merge_types, with a description)."""
    return strawberry.type(type(name, parts[::-1], {}), description=description)


class C360Schema(strawberry.Schema):
    """The schema without strawberry's stack-trace logging of every error (see `process_errors`)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Bad input, refusals and outages are answered with a code; PublicErrors logs the unexpected ones."""


@functools.cache
def build_schema(limits: Limits = Limits()) -> strawberry.Schema:
    """The executable schema; built once per set of limits."""
    rules = limit_rules(limits)
    schema = C360Schema(
        query=root("Query", QUERIES, "Reads. Send the API key as `Authorization: Bearer <key>`."),
        mutation=root("Mutation", MUTATIONS, "Writes; each returns a payload with a list of typed errors."),
        subscription=root("Subscription", SUBSCRIPTIONS, "Live updates over graphql-transport-ws."),
        extensions=[
            request_policy(rules),
            lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
            lambda: ParserCache(maxsize=DOCUMENT_CACHE),
            validation_cache(DOCUMENT_CACHE),
            PublicErrors,
        ],
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=LeanExecutor,
        scalar_overrides=OVERRIDES,
    )
    lean_resolvers(schema)
    return schema


def schema_sdl() -> str:
    """schema.graphql as generated from the code."""
    return build_schema().as_str() + "\n"
