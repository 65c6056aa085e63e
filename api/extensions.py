"""Per-request policy around every operation: document limits, introspection by role, PII audit; and the cache
of validated documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.schema import validate_document

from api.config import Limits
from api.permissions import INTROSPECTION_ROLES


def limit_rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    """Depth and alias rules, built once so that validated documents stay cached."""
    depth = QueryDepthLimiter(max_depth=limits.max_depth).validation_rules
    aliases = MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules
    return (*depth, *aliases)


def request_policy(rules: tuple[type[ASTValidationRule], ...]) -> Callable[[], SchemaExtension]:
    """A factory of the per-request extension applying `rules` (plus no introspection where not allowed)."""

    class RequestPolicy(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            ctx = self.execution_context
            context = ctx.context
            caller = getattr(context, "caller", None)
            extra = rules if caller and caller.role in INTROSPECTION_ROLES else (
                *rules, NoSchemaIntrospectionCustomRule)
            ctx.validation_rules = ctx.validation_rules + extra
            yield
            if caller is not None and getattr(context, "pii_reads", None):
                context.services.audit.record(caller, context.pii_reads, ctx.operation_name)
                context.pii_reads = {}

    return RequestPolicy


def validation_cache(maxsize: int) -> Callable[[], SchemaExtension]:
    """A factory of the extension that validates each parsed document once per set of rules.

    Like strawberry's ValidationCache, but keyed on the document's identity: ParserCache hands out the same
    document object for the same query text, while hashing and comparing a document walks its whole tree on
    every request (about 25 us for the kiosk's query, 45 us for the customer 360's). The entry keeps the
    document and schema it was made for, so a reused id never answers for another document. Cleared when full.
    """
    validated: dict[tuple[int, tuple[Any, ...]], tuple[Any, Any, list[GraphQLError]]] = {}

    class DocumentValidationCache(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            ctx = self.execution_context
            schema, document, rules = ctx.schema._schema, ctx.graphql_document, tuple(ctx.validation_rules)
            key = (id(document), rules)
            entry = validated.get(key)
            if entry is None or entry[0] is not document or entry[1] is not schema:
                if len(validated) >= maxsize:
                    validated.clear()
                entry = validated[key] = (document, schema, validate_document(schema, document, rules))
            ctx.pre_execution_errors = entry[2]
            yield

    return DocumentValidationCache
