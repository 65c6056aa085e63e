"""Strawberry's executor with shortcuts for plain fields, and direct calls of info-only resolvers.

A plain field is one strawberry resolves by reading an attribute: no resolver, no permission or other field
extension (strawberry's `is_basic_field`), hence no arguments either. Strawberry already skips its own work for
them, but graphql-core still builds a resolve info object and walks `complete_value` for each one (a customer-360
request has about 990 plain leaves and some 300 plain objects and lists of objects among its ~1,470 fields).
LeanExecutor runs an object's fields in its own copy of graphql-core's loop (which fields of a field set are plain
is looked up once per request: a list's objects share their set), and there
- reads a plain leaf (scalar or enum) and coerces it by its type;
- reads a plain object, or list of objects, and executes its sub-selection, when the object type has no
  `is_type_of` check (strawberry gives one only to types with interfaces).
Anything out of the ordinary (an exception, null for a non-null field or item, an awaitable, a value the scalar
refuses, something other than a list, a directive on the field such as @stream) goes the standard way before any
work is done, so results and errors are graphql-core's.

`lean_resolvers` does the same for fields whose resolver takes only `self` and `info` (Offer.product, Order.store):
it calls the resolver directly instead of through strawberry's wrapper, which has no arguments to convert and no
extension to run for them.

The sub-fields an object's selection collects (fragments merged, fields grouped by response name) are kept across
requests for documents without directives: graphql-core works them out anew for every request (it memoizes them
only within one), though they depend on nothing but the parsed document, which strawberry's cache hands out again,
and the object type, unless a directive (@skip, @include, @defer) reads the request's variables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import Any

import strawberry
from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_object_type,
)
from graphql.language import Node, OperationDefinitionNode
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

DEFINITION = "strawberry-definition"   # where strawberry keeps its field on graphql-core's
KEPT_SELECTIONS = 4_096                 # collected sub-field sets kept across requests (all dropped when full)


class Shape(Enum):
    LEAF = "leaf"
    OBJECT = "object"
    OBJECTS = "list of objects"


@dataclass(frozen=True, slots=True)
class PlainField:
    """How to read a plain field and what it holds; `item_type` is a list's item type as declared."""

    read: Callable[[Any], Any]
    shape: Shape
    named_type: GraphQLLeafType | GraphQLObjectType
    field_type: GraphQLOutputType
    nullable: bool
    item_type: GraphQLOutputType | None = None


class LeanExecutor(StrawberryGraphQLCoreExecutionContext):
    """Executes plain fields without a resolve info object (see the module docstring)."""

    _plain_fields: dict[tuple[GraphQLObjectType, str], PlainField | None] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager   # strawberry passes one per request, empty unless an extension resolves
        self._shortcut = manager is None or not manager.middlewares
        self._field_sets: dict[int, tuple[Any, list[tuple[str, Any, PlainField | None]]]] = {}

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """graphql-core's collected sub-fields (memoized for the request on the list's identity, as it does),
        kept across requests where nothing but the document decides them (see the module docstring)."""
        memo = self._relevant_sub_fields.get((return_type, id(field_details_list)))
        if memo is not None:
            return memo[1]
        if not self._shortcut or not _without_directives(self.operation, self.fragments) or any(
                details.defer_usage is not None or details.fragment_variable_values is not None
                for details in field_details_list):
            return super().collect_subfields(return_type, field_details_list)
        nodes = tuple(details.node for details in field_details_list)
        key = (return_type, *map(id, nodes))    # the entry holds the nodes, so their ids are not reused meanwhile
        entry = _SELECTIONS.get(key)
        if entry is None:
            if len(_SELECTIONS) >= KEPT_SELECTIONS:
                _SELECTIONS.clear()
            entry = _SELECTIONS[key] = (nodes, super().collect_subfields(return_type, field_details_list))
        else:
            self._relevant_sub_fields[(return_type, id(field_details_list))] = (field_details_list, entry[1])
        return entry[1]

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None,
                       grouped_field_set: Any, position_context: Any) -> Any:
        """graphql-core's execute_fields, with plain fields completed here: leaves inline, objects and lists of
        objects by their sub-selection. One field at a time and in order, so that an error stops the object
        where graphql-core's loop would."""
        if not self._shortcut:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, details, plain in self._fields_of(parent_type, grouped_field_set):
                result = Undefined if plain is None else self._plain_value(
                    plain, source_value, details, path, response_name, parent_type, position_context)
                if result is Undefined:
                    result = super().execute_field(parent_type, source_value, details,
                                                   Path(path, response_name, parent_type.name), position_context)
                    if result is Undefined:
                        continue
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return gathered(results, awaitable_fields)

    def _fields_of(self, parent_type: GraphQLObjectType, grouped_field_set: Any
                   ) -> list[tuple[str, Any, PlainField | None]]:
        """(response name, field details, PlainField or None) of each field; kept for the request per field set
        (graphql-core hands out the same set for every object of a list; the entry holds the set, so its id is
        not reused while the entry lives)."""
        entry = self._field_sets.get(id(grouped_field_set))
        if entry is None:
            entry = self._field_sets[id(grouped_field_set)] = (grouped_field_set, [
                (response_name, details, self._plain(parent_type, details[0].node.name.value))
                for response_name, details in grouped_field_set.items()])
        return entry[1]

    def _plain(self, parent_type: GraphQLObjectType, name: str) -> PlainField | None:
        plain = self._plain_fields.get((parent_type, name), Undefined)
        if plain is Undefined:
            plain = self._plain_fields.setdefault((parent_type, name), plain_field(self.schema, parent_type, name))
        return plain  # type: ignore[return-value]

    def _plain_value(self, plain: PlainField, source: Any, field_details_list: Any, path: Path | None,
                     response_name: str, parent_type: GraphQLObjectType, position_context: Any) -> Any:
        """A plain field's completed value, or Undefined to leave the field to the standard path (nothing done
        yet): it then raises the same error again, located."""
        try:
            value = plain.read(source)
            if value is None:
                return None if plain.nullable else Undefined
            if isinstance(value, Exception):
                return Undefined
            if plain.shape is Shape.LEAF:
                coerced = plain.named_type.coerce_output_value(value)  # type: ignore[union-attr]
                return Undefined if coerced is None else coerced
        except Exception:
            return Undefined
        if self.is_awaitable(value) or any(details.node.directives for details in field_details_list):
            return Undefined
        field_path = Path(path, response_name, parent_type.name)
        if plain.shape is Shape.OBJECT:
            return self._object(plain.named_type, plain.field_type, value, field_details_list, field_path,
                                position_context)
        if type(value) is not list or not self._plain_items(value, plain.item_type is plain.named_type):
            return Undefined
        return self._objects(plain, value, field_details_list, field_path, position_context)

    def _plain_items(self, items: list[Any], nullable: bool) -> bool:
        """Whether every item can be completed as a plain object (null only where the items may be null)."""
        is_awaitable = self.is_awaitable
        for item in items:
            if item is None:
                if not nullable:
                    return False
            elif isinstance(item, Exception) or is_awaitable(item):
                return False
        return True

    def _object(self, object_type: Any, return_type: GraphQLOutputType, value: Any, field_details_list: Any,
                path: Path, position_context: Any) -> Any:
        """complete_object_value without `is_type_of` (there is none) and so without a resolve info; the fields
        executed here at once unless the selection defers some (what execute_collected_subfields does then)."""
        try:
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
            if position_context is None and not new_defer_usages:
                completed = self.execute_fields(object_type, value, path, grouped_field_set, None)
            else:
                completed = self.execute_collected_subfields(object_type, value, path, grouped_field_set,
                                                             new_defer_usages, position_context)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._settled(completed, return_type, field_details_list, path)
        return completed

    def _objects(self, plain: PlainField, items: list[Any], field_details_list: Any, path: Path,
                 position_context: Any) -> Any:
        """complete_iterable_value for a list of plain objects (an item's error nulls it or, if non-null, the list)."""
        results: list[Any] = []
        pending: list[int] = []
        try:
            for index, item in enumerate(items):
                completed = None if item is None else self._object(
                    plain.named_type, plain.item_type, item, field_details_list,  # type: ignore[arg-type]
                    path.add_key(index, None), position_context)
                if completed is not None and self.is_awaitable(completed):
                    pending.append(index)
                results.append(completed)
        except Exception as raw_error:
            if pending:
                self.settle_in_background([results[index] for index in pending])
            self.handle_field_error(raw_error, plain.field_type, field_details_list, path)
            return None
        if not pending:
            return results
        return self._settled(gathered(results, pending), plain.field_type, field_details_list, path)

    async def _settled(self, completed: Awaitable[Any], return_type: GraphQLOutputType, field_details_list: Any,
                       path: Path) -> Any:
        """The awaited value, or null after graphql-core's handling of its error at `path`."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None


_SELECTIONS: dict[tuple[Any, ...], tuple[tuple[Node, ...], Any]] = {}
_DIRECTIVE_FREE: dict[int, tuple[OperationDefinitionNode, bool]] = {}


def _without_directives(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> bool:
    """Whether neither the operation nor its fragments carry a directive, worked out once per parsed operation
    (the entry holds the operation, so a reused id never answers for another)."""
    entry = _DIRECTIVE_FREE.get(id(operation))
    if entry is None or entry[0] is not operation:
        if len(_DIRECTIVE_FREE) >= KEPT_SELECTIONS:
            _DIRECTIVE_FREE.clear()
        entry = _DIRECTIVE_FREE[id(operation)] = (
            operation, not any(_directives_in(node) for node in (operation, *fragments.values())))
    return entry[1]


def _directives_in(root: Node) -> bool:
    stack = [root]
    while stack:
        node = stack.pop()
        if getattr(node, "directives", None):
            return True
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(item for item in value if isinstance(item, Node))
    return False


async def gathered(results: Any, pending: list[Any]) -> Any:
    """`results` (an object's fields or a list's items) with its awaitables at the keys `pending` awaited, all
    cancelled if one fails, as graphql-core does."""
    if len(pending) == 1:
        results[pending[0]] = await results[pending[0]]
        return results
    for key, value in zip(pending, await gather_with_cancel(*(results[key] for key in pending)), strict=True):
        results[key] = value
    return results


def plain_field(schema: Any, parent_type: GraphQLObjectType, name: str) -> PlainField | None:
    """The PlainField for `parent_type.name`, or None when it is not plain (see the module docstring)."""
    field = schema.get_field(parent_type, name)
    definition = field.extensions.get(DEFINITION) if field is not None else None
    # is_basic_field: no resolver and no extension (a permission is one). Strawberry's `_is_default` mark
    # is not enough: a field with a permission but no resolver carries it too.
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field or field.args:
        return None
    if definition.default_resolver is getattr:
        read = attrgetter(definition.python_name)   # what strawberry's resolver does, without its calls
    else:
        read = partial(field.resolve, info=None)
    nullable_type: Any = get_nullable_type(field.type)
    nullable = nullable_type is field.type
    if is_leaf_type(nullable_type):
        return PlainField(read, Shape.LEAF, nullable_type, field.type, nullable)
    if is_object_type(nullable_type) and nullable_type.is_type_of is None:
        return PlainField(read, Shape.OBJECT, nullable_type, field.type, nullable)
    if is_list_type(nullable_type):
        item_type = nullable_type.of_type
        object_type: Any = get_nullable_type(item_type)
        if is_object_type(object_type) and object_type.is_type_of is None:
            return PlainField(read, Shape.OBJECTS, object_type, field.type, nullable, item_type)
    return None


def lean_resolvers(schema: strawberry.Schema) -> int:
    """Call info-only resolvers directly (see the module docstring); returns how many fields it changed."""
    if getattr(schema.schema_converter, "_exception_handler_specs", True):
        return 0   # exception handlers (or a strawberry that keeps them elsewhere): leave strawberry's wrapper
    changed = 0
    for graphql_type in schema._schema.type_map.values():   # strawberry keeps graphql-core's schema there
        if isinstance(graphql_type, GraphQLObjectType) and not graphql_type.name.startswith("__"):
            for field in graphql_type.fields.values():
                resolve = info_only_resolver(field, schema.config.info_class)
                if resolve is not None:
                    field.resolve = resolve
                    changed += 1
    return changed


def info_only_resolver(field: GraphQLField, info_class: type[strawberry.Info]) -> Callable[..., Any] | None:
    """A direct call of the field's resolver when it takes only `self` and `info` and nothing wraps it."""
    definition = field.extensions.get(DEFINITION) if field.extensions else None
    if not isinstance(definition, StrawberryField) or definition.extensions or definition.is_subscription:
        return None
    resolver = definition.base_resolver
    if (resolver is None or field.args or resolver.arguments or resolver.root_parameter or resolver.parent_parameter
            or resolver.self_parameter is None or resolver.info_parameter is None):
        return None
    call, info_name = resolver.wrapped_func, resolver.info_parameter.name

    def resolve(source: Any, info: Any) -> Any:
        return call(source, **{info_name: info_class(_raw_info=info, _field=definition)})

    return resolve
