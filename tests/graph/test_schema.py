from graph.admin import server_component
from graph.driver import Graph
from graph.schema import UNIQUE_KEYS, apply_schema, existing_unique_keys


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
