"""Strawberry's executor with a shortcut for plain leaf fields.

A plain leaf is a field whose type is a scalar or enum and that strawberry resolves by reading an attribute:
no resolver, no permission or other field extension (strawberry's `is_basic_field`), hence no arguments
either. Strawberry already skips its own work for them, but graphql-core still builds a resolve info object
and walks `complete_value` for each one (a customer-360 request has about 990 of them among its ~1,470 fields).
Here a plain leaf is read and coerced by its type directly. Anything out of the ordinary (an exception, null for
a non-null field, a value the scalar refuses) goes the standard way, so results and errors are graphql-core's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from graphql import GraphQLLeafType, GraphQLObjectType, GraphQLOutputType, get_nullable_type, is_leaf_type
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

PlainLeaf = tuple[Callable[[Any], Any], GraphQLLeafType, bool]   # (value of the source, leaf type, nullable)
DEFINITION = "strawberry-definition"   # where strawberry keeps its field on graphql-core's


class LeanExecutor(StrawberryGraphQLCoreExecutionContext):
    """Executes plain leaf fields without a resolve info object (see the module docstring)."""

    _plain_leaves: dict[tuple[GraphQLObjectType, str], PlainLeaf | None] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager   # strawberry passes one per request, empty unless an extension resolves
        self._shortcut = manager is None or not manager.middlewares

    def execute_field(self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any, path: Path,
                      position_context: Any) -> Any:
        name = field_details_list[0].node.name.value
        leaf = self._plain_leaves.get((parent_type, name), Undefined)
        if leaf is Undefined:
            leaf = self._plain_leaves.setdefault((parent_type, name), self._plain_leaf(parent_type, name))
        if leaf is not None and self._shortcut:
            read, leaf_type, nullable = leaf
            try:
                value = read(source)
                if value is None and nullable:
                    return None
                if value is not None and value is not Undefined and not isinstance(value, Exception):
                    return self.complete_leaf_value(leaf_type, value)
            except Exception:  # noqa: S110 - the standard path below raises it again, located
                pass
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _plain_leaf(self, parent_type: GraphQLObjectType, name: str) -> PlainLeaf | None:
        field = self.schema.get_field(parent_type, name)
        definition = field.extensions.get(DEFINITION) if field is not None else None
        # is_basic_field: no resolver and no extension (a permission is one). Strawberry's `_is_default` mark
        # is not enough: a field with a permission but no resolver carries it too.
        if not isinstance(definition, StrawberryField) or not definition.is_basic_field or field.args:
            return None
        nullable_type: GraphQLOutputType = get_nullable_type(field.type)
        if not is_leaf_type(nullable_type):
            return None
        if definition.default_resolver is getattr:
            read = attrgetter(definition.python_name)   # what strawberry's resolver does, without its calls
        else:
            read = partial(field.resolve, info=None)
        return read, nullable_type, nullable_type is field.type
