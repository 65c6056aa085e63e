"""The executor's shortcut for plain leaf fields answers exactly as strawberry's own executor (pure logic)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission

from api.executor import LeanExecutor


class Deny(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.enum
class Kind(Enum):
    FRESH = "fresh"
    FROZEN = "frozen"


@strawberry.type
class Item:
    name: str
    note: str | None
    kind: Kind
    since: date
    count: int
    secret: str = strawberry.field(permission_classes=[Deny], default="hidden")

    @strawberry.field
    def label(self, upper: bool = False) -> str:
        return self.name.upper() if upper else self.name


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [Item(name="milk", note=None, kind=Kind.FRESH, since=date(2024, 1, 2), count=3),
                Item(name="peas", note="bag", kind=Kind.FROZEN, since=date(2023, 5, 6), count=0),
                Item(name=None, note="no name", kind=Kind.FRESH, since=date(2023, 5, 6), count=1),  # type: ignore[arg-type]
                Item(name="eggs", note="no count", kind=Kind.FRESH, since=date(2023, 5, 6), count="six")]  # type: ignore[arg-type]


QUERIES = [
    "{ items { name note kind since count label(upper: true) } }",
    "{ items { renamed: name note kind secret } }",
    "{ items { ... on Item { name kind } count } }",
]


def answers(executor: Any, query: str) -> Any:
    result = strawberry.Schema(query=Query, execution_context_class=executor).execute_sync(query)
    errors = sorted((e.message, tuple(e.path or ()), tuple((x.line, x.column) for x in e.locations or ()))
                    for e in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
def test_same_data_and_errors_as_strawberry(query: str) -> None:
    lean, stock = answers(LeanExecutor, query), answers(None, query)
    assert lean == stock
    assert lean[1], "each query meets a broken item, so there are errors to compare"


def test_plain_leaves_skip_the_resolve_info(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = LeanExecutor.build_resolve_info

    def counting(self: LeanExecutor, field_def: Any, field_nodes: Any, parent_type: Any, path: Any) -> Any:
        built.append(field_nodes[0].name.value)
        return original(self, field_def, field_nodes, parent_type, path)

    monkeypatch.setattr(LeanExecutor, "build_resolve_info", counting)
    answers(LeanExecutor, QUERIES[0])
    # `items` and `label` have resolvers; of the plain leaves only the broken items' go the standard way
    # (an item stops at its first error: no label for either broken item)
    assert Counter(built) == {"items": 1, "label": 2, "name": 1, "count": 1}
