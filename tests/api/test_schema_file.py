"""schema.graphql is generated from the code, and every type, field, argument and enum value is described."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from api.schema import build_schema, schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_is_what_the_code_generates() -> None:
    assert SCHEMA_FILE.read_text() == schema_sdl(), "schema.graphql is stale: run `c360 schema`"


def undescribed() -> list[str]:
    """Every type, field and argument of our schema that lacks a description."""
    missing = []
    for name, kind in build_schema()._schema.type_map.items():
        if name.startswith("__"):
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in kind.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    return missing


def test_every_type_field_and_argument_is_described() -> None:
    assert undescribed() == []


def test_enums_are_described() -> None:
    enums = [t for n, t in build_schema()._schema.type_map.items()
             if isinstance(t, GraphQLEnumType) and not n.startswith("__")]
    assert enums and all(t.description for t in enums)
