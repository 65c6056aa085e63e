from graph.admin import server_component
from graph.driver import Graph
from graph.schema import (FULLTEXT_INDEXES, INDEXES, RETIRED_INDEXES, UNIQUE_KEYS, apply_schema, existing_indexes,
                          existing_unique_keys)


def test_every_natural_key_has_a_uniqueness_constraint(graph: Graph) -> None:
    assert existing_unique_keys(graph) >= set(UNIQUE_KEYS.items())


def test_applying_the_schema_twice_is_harmless(graph: Graph) -> None:
    before = existing_unique_keys(graph)
    apply_schema(graph)
    assert existing_unique_keys(graph) == before


def test_the_graph_answers_with_the_community_5_26_server(graph: Graph) -> None:
    component = server_component(graph)
    assert component["edition"] == "community"
    assert component["version"].startswith("5.26.")


def test_the_lookups_the_api_makes_have_online_indexes(graph: Graph) -> None:
    indexes = existing_indexes(graph)
    for name, (label, props) in INDEXES.items():
        assert indexes[name] == (label, props, "ONLINE")
    assert {indexes[n][:2] for n in ("identity_kind_value", "order_placed_at", "event_occurred_at")} == {
        ("Identity", ("kind", "value")), ("Order", ("placed_at",)), ("Event", ("occurred_at",))}


def test_full_text_indexes_are_online_and_retired_ones_gone(graph: Graph) -> None:
    graph.write("CREATE INDEX customer_last_name IF NOT EXISTS FOR (n:Customer) ON (n.last_name)")   # an older graph
    apply_schema(graph)
    indexes = existing_indexes(graph)
    for name, (label, props, _) in FULLTEXT_INDEXES.items():
        assert indexes[name] == (label, props, "ONLINE")
    assert not set(RETIRED_INDEXES) & set(indexes)
