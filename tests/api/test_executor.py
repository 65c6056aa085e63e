"""The executor's shortcuts (plain leaves, objects, lists of objects) and the direct calls of info-only resolvers
answer exactly as strawberry's own executor and resolvers do (pure logic)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from enum import Enum
from typing import Any, NewType

import graphql.execution.executor as graphql_executor
import pytest
import strawberry
from graphql.execution.collect_fields import collect_subfields
from strawberry.extensions import ParserCache
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig
from strawberry.types.scalar import ScalarDefinition

from api.executor import LeanExecutor, lean_resolvers


class Deny(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.enum
class Kind(Enum):
    FRESH = "fresh"
    FROZEN = "frozen"


Grade = NewType("Grade", str)
GRADE = ScalarDefinition(name="Grade", description=None, specified_by_url=None, parse_value=str, parse_literal=None,
                         serialize=lambda v: None if v == "unknown" else v.upper())  # null: a non-null leaf refuses it


@strawberry.type
class Item:
    name: str
    note: str | None
    kind: Kind
    since: date
    count: int
    grade: Grade = "a"  # type: ignore[valid-type]
    secret: str = strawberry.field(permission_classes=[Deny], default="hidden")

    @strawberry.field
    def label(self, upper: bool = False) -> str:
        return self.name.upper() if upper else self.name


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tag(Named):
    weight: int


@strawberry.type
class Price:
    amount: int
    currency: str

    @strawberry.field
    async def doubled(self) -> int:
        return self.amount * 2


@strawberry.type
class Line:
    price: Price
    old_price: Price | None
    prices: list[Price]
    maybe_prices: list[Price | None] | None
    some_prices: list[Price] | None = None
    tag: Tag | None
    item_name: strawberry.Private[str | None]

    @strawberry.field
    def item(self, info: strawberry.Info) -> Item | None:
        if self.item_name == "boom":
            raise ValueError("no such item")
        return None if self.item_name is None else Item(name=self.item_name, note=None, kind=Kind.FRESH,
                                                        since=date(2024, 1, 2), count=1)

    @strawberry.field
    def sure_item(self, info: strawberry.Info) -> Item:
        return self.item(info)  # type: ignore[return-value]

    @strawberry.field
    async def later_item(self, info: strawberry.Info) -> Item | None:
        return self.item(info)

    @strawberry.field
    async def later_price(self) -> Price | None:
        return self.price


def price(amount: Any) -> Price:
    return Price(amount=amount, currency="EUR")


def good_line() -> Line:
    return Line(price=price(1), old_price=None, prices=[price(2), price(3)], maybe_prices=[price(4), None],
                tag=Tag(name="new", weight=1), item_name="milk")


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [Item(name="milk", note=None, kind=Kind.FRESH, since=date(2024, 1, 2), count=3),
                Item(name="peas", note="bag", kind=Kind.FROZEN, since=date(2023, 5, 6), count=0),
                Item(name=None, note="no name", kind=Kind.FRESH, since=date(2023, 5, 6), count=1),  # type: ignore[arg-type]
                Item(name="eggs", note="no count", kind=Kind.FRESH, since=date(2023, 5, 6), count="six"),  # type: ignore[arg-type]
                Item(name="rice", note="no grade", kind=Kind.FRESH, since=date(2023, 5, 6), count=2, grade="unknown")]

    @strawberry.field
    def lines(self) -> list[Line | None]:
        broken = [Line(price=price("one"), old_price=None, prices=[], maybe_prices=None, tag=None, item_name=None),
                  Line(price=price(1), old_price=price("two"), prices=[price(1), price("x")], maybe_prices=None,
                       tag=None, item_name="boom"),
                  Line(price=price(1), old_price=None, prices=[price(1)], maybe_prices=[price("x"), None, price(5)],
                       tag=Tag(name=None, weight=2), item_name=None, some_prices=[price(6), price("y")]),  # type: ignore[arg-type]
                  Line(price=None, old_price=None, prices=None, maybe_prices=[None], tag=None,  # type: ignore[arg-type]
                       item_name="eggs")]
        return [good_line(), *broken, None]

    @strawberry.field
    def good_lines(self) -> list[Line]:
        return [good_line(), good_line()]


QUERIES = [
    "{ items { name note kind since count label(upper: true) } }",
    "{ items { name grade } }",
    "{ items { renamed: name note kind secret } }",
    "{ items { ... on Item { name kind } count } }",
    "{ lines { price { amount currency } oldPrice { amount } } }",
    "{ lines { prices { amount } maybePrices { amount currency } } }",
    "{ lines { somePrices { amount } tag { weight } } }",
    "{ lines { tag { name weight } item { name count } } }",
    "{ lines { sureItem { name } price { amount } } }",
    "{ lines { laterItem { name } laterPrice { amount } maybePrices { amount } } }",
    "{ lines { price { amount } prices @skip(if: false) { currency } } }",
    "{ lines { price { doubled } oldPrice { currency doubled } prices { doubled currency } } }",
]


def answers(executor: Any, query: str, lean: bool = False) -> Any:
    schema = strawberry.Schema(query=Query, execution_context_class=executor, scalar_overrides={Grade: GRADE})
    if lean:
        assert lean_resolvers(schema) == 3, "Line.item, sureItem and laterItem take only self and info"
    result = asyncio.run(schema.execute(query))
    errors = sorted((e.message, tuple(e.path or ()), tuple((x.line, x.column) for x in e.locations or ()))
                    for e in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
def test_same_data_and_errors_as_strawberry(query: str) -> None:
    stock = answers(None, query)
    assert answers(LeanExecutor, query) == stock
    assert answers(LeanExecutor, query, lean=True) == stock
    assert answers(None, query, lean=True) == stock
    assert stock[1], "each query meets a broken item, so there are errors to compare"


@pytest.fixture
def resolve_infos(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the fields LeanExecutor builds a resolve info for, as they are built."""
    built: list[str] = []
    original = LeanExecutor.build_resolve_info

    def counting(self: LeanExecutor, field_def: Any, field_nodes: Any, parent_type: Any, path: Any) -> Any:
        built.append(field_nodes[0].name.value)
        return original(self, field_def, field_nodes, parent_type, path)

    monkeypatch.setattr(LeanExecutor, "build_resolve_info", counting)
    return built


def test_plain_leaves_skip_the_resolve_info(resolve_infos: list[str]) -> None:
    answers(LeanExecutor, QUERIES[0])
    # `items` and `label` have resolvers; of the plain leaves only the broken items' go the standard way
    # (an item stops at its first error: no label for either broken item)
    assert Counter(resolve_infos) == {"items": 1, "label": 3, "name": 1, "count": 1}


def test_plain_objects_and_lists_skip_the_resolve_info(resolve_infos: list[str]) -> None:
    data, errors = answers(LeanExecutor, "{ goodLines { price { amount } oldPrice { amount } prices { currency } "
                                         "maybePrices { amount } tag { name } item { name } } }")
    assert not errors and data["goodLines"][0]["maybePrices"] == [{"amount": 4}, None]
    # only the resolvers, and `tag`, whose type has an interface (strawberry checks is_type_of there)
    assert Counter(resolve_infos) == {"goodLines": 1, "tag": 2, "item": 2}


def streamed(executor: Any, query: str) -> list[Any]:
    """The initial result and every later payload of `query` under incremental delivery (@defer)."""
    schema = strawberry.Schema(query=Query, execution_context_class=executor, scalar_overrides={Grade: GRADE},
                               config=StrawberryConfig(enable_experimental_incremental_execution=True))

    async def payloads() -> list[Any]:
        stream = await schema.stream(query)
        return [payload.formatted async for payload in stream]
    return asyncio.run(payloads())


def test_deferred_fragments_in_plain_objects_come_later_as_with_strawberry() -> None:
    query = ('{ goodLines { price { currency ... @defer { amount } } '
             'prices { currency ... @defer(label: "p") { amount } } } }')
    stock = streamed(None, query)
    assert streamed(LeanExecutor, query) == stock
    assert "amount" not in str(stock[0]["data"]) and len(stock) == 2, "the amounts come in the second payload"


def twice(executor: Any, query: str, *variables: dict[str, Any]) -> list[Any]:
    """`query` answered once per set of variables by one schema whose parser cache hands out one document."""
    schema = strawberry.Schema(query=Query, execution_context_class=executor, scalar_overrides={Grade: GRADE},
                               extensions=[ParserCache])
    return [asyncio.run(schema.execute(query, variable_values=v)).data for v in variables]


@pytest.fixture
def collections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The object types whose sub-fields graphql-core collects, as it collects them."""
    collected: list[str] = []

    def counting(schema: Any, fragments: Any, variables: Any, operation: Any, return_type: Any, *rest: Any) -> Any:
        collected.append(return_type.name)
        return collect_subfields(schema, fragments, variables, operation, return_type, *rest)

    monkeypatch.setattr(graphql_executor, "collect_subfields", counting)
    return collected


def test_collected_fields_are_kept_across_requests_of_a_document_without_directives(collections: list[str]) -> None:
    query = "{ goodLines { price { amount } prices { currency } item { name } } }"
    first, second = twice(LeanExecutor, query, {}, {})
    assert first == second == twice(None, query, {})[0]
    assert Counter(collections) == {"Line": 2, "Price": 4, "Item": 2}    # stock executor: once a request each


def test_a_document_with_directives_collects_for_each_request(collections: list[str]) -> None:
    query = "query Q($all: Boolean!) { goodLines { price { amount currency @include(if: $all) } } }"
    answered = twice(LeanExecutor, query, {"all": True}, {"all": False})
    assert answered == twice(None, query, {"all": True}, {"all": False})
    assert answered[0] != answered[1]
    assert Counter(collections) == {"Line": 4, "Price": 4}
