"""The schema: per-domain Query/Mutation/Subscription classes merged, plus the extensions.

To add fields from another package (analytics), write a class in api/queries/<domain>.py (or
mutations/) and add it to QUERIES (or MUTATIONS); fields on Customer go in api/types/customer.py.
"""

from __future__ import annotations

import functools

import strawberry
from strawberry.extensions import MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from api.config import Limits
from api.errors import PublicErrors
from api.extensions import limit_rules, request_policy
from api.mutations.customers import CustomerMutation
from api.mutations.events import EventMutation
from api.mutations.service_cases import ServiceCaseMutation
from api.queries.audit import AuditQuery
from api.queries.catalog import CatalogQuery
from api.queries.customer import CustomerQuery
from api.queries.offers import OfferQuery
from api.subscriptions import OfferSubscription

QUERIES: tuple[type, ...] = (CustomerQuery, OfferQuery, CatalogQuery, AuditQuery)
MUTATIONS: tuple[type, ...] = (EventMutation, CustomerMutation, ServiceCaseMutation)
SUBSCRIPTIONS: tuple[type, ...] = (OfferSubscription,)
DOCUMENT_CACHE = 1_024


@functools.cache
def build_schema(limits: Limits = Limits()) -> strawberry.Schema:
    """The executable schema; built once per set of limits."""
    rules = limit_rules(limits)
    return strawberry.Schema(
        query=merge_types("Query", QUERIES),
        mutation=merge_types("Mutation", MUTATIONS),
        subscription=merge_types("Subscription", SUBSCRIPTIONS),
        extensions=[
            request_policy(rules),
            lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
            lambda: ParserCache(maxsize=DOCUMENT_CACHE),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE),
            PublicErrors,
        ],
        config=StrawberryConfig(auto_camel_case=True),
    )


def schema_sdl() -> str:
    """schema.graphql as generated from the code."""
    return build_schema().as_str() + "\n"
