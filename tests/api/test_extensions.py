"""The validated-document cache: one validation per parsed document and set of rules (pure logic)."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import NoSchemaIntrospectionCustomRule
from strawberry.extensions import ParserCache, SchemaExtension

import api.extensions
from api.extensions import validation_cache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


class NoIntrospectionWhenStrict(SchemaExtension):
    """As api.extensions.request_policy does by role: more rules for some callers."""

    def on_operation(self) -> Any:
        ctx = self.execution_context
        if ctx.context and ctx.context.get("strict"):
            ctx.validation_rules = (*ctx.validation_rules, NoSchemaIntrospectionCustomRule)
        yield


def test_each_document_is_validated_once_per_set_of_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    validated: list[str] = []
    original = api.extensions.validate_document

    def counting(schema: Any, document: Any, rules: Any) -> Any:
        validated.append(document.loc.source.body)
        return original(schema, document, rules)

    monkeypatch.setattr(api.extensions, "validate_document", counting)
    schema = strawberry.Schema(query=Query, extensions=[NoIntrospectionWhenStrict, lambda: ParserCache(maxsize=10),
                                                        validation_cache(10)])
    introspect = "{ __schema { queryType { name } } }"
    for _ in range(3):
        assert schema.execute_sync("{ hello }", context_value={}).data == {"hello": "hi"}
        assert schema.execute_sync("{ nope }", context_value={}).errors
        assert schema.execute_sync(introspect, context_value={}).errors is None
        assert schema.execute_sync(introspect, context_value={"strict": True}).errors   # same document, more rules
    assert sorted(validated) == sorted(["{ hello }", "{ nope }", introspect, introspect])


def test_the_cache_is_bounded_and_still_validates_when_full() -> None:
    schema = strawberry.Schema(query=Query, extensions=[lambda: ParserCache(maxsize=10), validation_cache(2)])
    for n in range(5):
        assert schema.execute_sync(f"{{ a{n}: hello }}").data == {f"a{n}": "hi"}
        assert schema.execute_sync(f"{{ b{n}: nope }}").errors
