from typing import Any

import neo4j

from graph.admin import server_component
from graph.driver import Graph
from graph.schema import (FULLTEXT_INDEXES, INDEXES, PREPARE_FOR_REPLANNING, RESAMPLE_OUTDATED_INDEXES,
                          RETIRED_INDEXES, UNIQUE_KEYS, apply_schema, existing_indexes, existing_unique_keys,
                          refresh_statistics)


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


def estimated_rows_of_seek(graph: Graph, query: str, **params: Any) -> float:
    """The planner's row estimate for the index seek of `query`."""
    with graph.driver.session(database=graph.database) as session:
        plan = session.run("EXPLAIN " + query, **params).consume().plan
    while not plan["operatorType"].startswith("NodeIndexSeek"):
        [plan] = plan["children"]
    return plan["args"]["EstimatedRows"]


def test_after_refreshed_statistics_the_planner_knows_what_was_just_written(graph: Graph) -> None:
    graph.write("CREATE INDEX statistics_probe IF NOT EXISTS FOR (n:StatisticsProbe) ON (n.kind)")
    try:
        graph.write("CALL db.awaitIndexes(60)")
        graph.write("UNWIND range(1, 1000) AS i CREATE (:StatisticsProbe {kind: i % 2})")

        # until resampled, the index's last sample (taken empty) gives 0 rows per value
        assert refresh_statistics(graph) is True
        assert estimated_rows_of_seek(graph, "MATCH (n:StatisticsProbe {kind: $k}) RETURN n", k=1) == 500
    finally:
        graph.write("DROP INDEX statistics_probe IF EXISTS")


class NotAnAdmin:
    """A graph whose user may not call admin procedures, as on a managed server with a restricted user."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def write(self, query: str, **params: Any) -> None:
        self.queries.append(query)
        if query == PREPARE_FOR_REPLANNING:
            raise neo4j.exceptions.Forbidden("Executing admin procedure is not allowed")


def test_a_user_who_is_not_an_admin_gets_the_resampling_scheduled() -> None:
    graph = NotAnAdmin()
    assert refresh_statistics(graph) is False   # type: ignore[arg-type]
    assert graph.queries == [PREPARE_FOR_REPLANNING, RESAMPLE_OUTDATED_INDEXES]
