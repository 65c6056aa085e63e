"""Per-request policy around every operation: document limits, introspection by role, PII audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

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
