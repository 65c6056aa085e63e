"""A customer's history kept next to their lists: a view is ranked from it as from the graph, without the graph."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis

from graph.consents import upsert_consents
from recsys import customer_history, jobs, keys, model, offers, realtime
from recsys.customer_history import History
from recsys.hybrid import HybridSettings
from recsys.model import Artifact

CUSTOMER = "shop:a15"


def view(event_id: str, product_id: str, minutes_ago: int = 0) -> dict[str, object]:
    at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    return {"event_id": event_id, "customer_id": CUSTOMER, "kind": "view", "product_id": product_id,
            "channel_id": "web", "store_id": "shop:s1", "occurred_at": at.isoformat()}


def last_entry(cache: redis.Redis) -> dict[str, str]:
    """The newest stream entry's fields, as the worker decodes them."""
    [(_, fields)] = cache.xrevrange(keys.event_stream(), count=1)
    return {k.decode(): v.decode() for k, v in fields.items()}


def ranked(cache: redis.Redis, customer_id: str = CUSTOMER) -> list[tuple[str, float, str]]:
    listed = offers.read_next_best_offers(cache, customer_id, limit=50)
    return [(o.product_id, round(o.score, 6), o.reason_code) for o in listed.offers]


def kept_history(cache: redis.Redis) -> History | None:
    return customer_history.read(cache, CUSTOMER, offers.versions(cache).get("current"))


@pytest.fixture
def artifact(served) -> Artifact:  # type: ignore[no-untyped-def]
    return model.load(served.models_dir / "shop")


def recompute(served: Any, cache: redis.Redis, artifact: Artifact, events: list[dict[str, str]] | None,
              **options: Any) -> dict[str, str] | None:
    return realtime.recompute_customer(served.graph, cache, lambda _: artifact, CUSTOMER, HybridSettings(),
                                       now=served.now.timestamp() + 3_600, events=events, **options)


def test_a_view_is_ranked_from_the_kept_history_as_from_the_graph(served, cache: redis.Redis,
                                                                   artifact: Artifact) -> None:
    realtime.record_event(served.graph, cache, view("kept-1", served.group_b[0], minutes_ago=5))
    recompute(served, cache, artifact, [last_entry(cache)])          # nothing kept yet: reads the graph, keeps it
    assert 0 < cache.ttl(keys.customer_history(CUSTOMER)) <= customer_history.TTL_S
    realtime.record_event(served.graph, cache, view("kept-2", served.group_b[1]))
    reads = served.graph.round_trips
    recompute(served, cache, artifact, [last_entry(cache)])
    assert served.graph.round_trips == reads                         # ranked without the graph
    from_kept = ranked(cache)
    kept = kept_history(cache)
    recompute(served, cache, artifact, None)                         # the same customer read from the graph
    assert served.graph.round_trips == reads + 1
    assert from_kept == ranked(cache)
    assert sorted(map(tuple, kept.rows)) == sorted(map(tuple, kept_history(cache).rows))
    assert {"kept-1", "kept-2"} <= {row[1] for row in kept.rows}


def test_a_precompute_retires_the_kept_histories(served, cache: redis.Redis, artifact: Artifact) -> None:
    realtime.record_event(served.graph, cache, view("retired-1", served.group_b[0]))
    recompute(served, cache, artifact, [last_entry(cache)])
    jobs.precompute(served.graph, cache, served.models_dir, now=served.now, version="o-retiring")
    assert kept_history(cache) is None
    realtime.record_event(served.graph, cache, view("retired-2", served.group_b[1]))
    reads = served.graph.round_trips
    recompute(served, cache, artifact, [last_entry(cache)])
    assert served.graph.round_trips == reads + 1
    assert {"retired-1", "retired-2"} <= {row[1] for row in kept_history(cache).rows}


def test_a_redelivered_entry_is_kept_once(served, cache: redis.Redis, artifact: Artifact) -> None:
    realtime.record_event(served.graph, cache, view("again-1", served.group_b[2]))
    entry = last_entry(cache)
    recompute(served, cache, artifact, [entry])
    rows = kept_history(cache).rows
    recompute(served, cache, artifact, [entry, entry])               # a worker died before acknowledging
    assert kept_history(cache).rows == rows


def test_a_consent_change_reads_the_graph_again(served, cache: redis.Redis, artifact: Artifact) -> None:
    realtime.record_event(served.graph, cache, view("consent-1", served.group_b[0]))
    recompute(served, cache, artifact, [last_entry(cache)])
    assert kept_history(cache).profile["personalisation"] is None
    upsert_consents(served.graph, [{"customer_id": CUSTOMER, "purpose": "personalisation", "medium": "any",
                                    "granted": False, "updated_at": datetime.now(timezone.utc), "source": "test"}])
    try:
        realtime.request_refresh(cache, CUSTOMER, "consent")
        recompute(served, cache, artifact, [last_entry(cache)])
        assert kept_history(cache).profile["personalisation"] is False
        assert {reason for _, _, reason in ranked(cache)} == {"no_consent"}
    finally:
        upsert_consents(served.graph, [{"customer_id": CUSTOMER, "purpose": "personalisation", "medium": "any",
                                        "granted": True, "updated_at": datetime.now(timezone.utc),
                                        "source": "test"}])


def test_a_history_another_worker_changed_meanwhile_is_not_overwritten(served, cache: redis.Redis,
                                                                       artifact: Artifact) -> None:
    realtime.record_event(served.graph, cache, view("race-0", served.group_b[0]))
    recompute(served, cache, artifact, [last_entry(cache)])
    realtime.record_event(served.graph, cache, view("race-mine", served.group_b[1]))
    mine = last_entry(cache)
    realtime.record_event(served.graph, cache, view("race-theirs", served.group_b[2]))
    theirs = last_entry(cache)
    calls: list[str] = []

    def artifact_of(_: str) -> Artifact:
        """Called between this worker's read of the history and its write: another worker writes first."""
        calls.append("called")
        if len(calls) == 1:
            realtime.recompute_customer(served.graph, cache, lambda _: artifact, CUSTOMER, HybridSettings(),
                                        events=[theirs])
        return artifact

    realtime.recompute_customer(served.graph, cache, artifact_of, CUSTOMER, HybridSettings(), events=[mine])
    assert len(calls) == 2                                            # the first transaction failed, then again
    assert {"race-mine", "race-theirs"} <= {row[1] for row in kept_history(cache).rows}


def test_no_history_is_kept_with_a_ttl_of_zero_and_a_merged_away_customer_loses_it(served, cache: redis.Redis,
                                                                                   artifact: Artifact) -> None:
    realtime.record_event(served.graph, cache, view("ttl-1", served.group_b[0]))
    recompute(served, cache, artifact, [last_entry(cache)])
    assert kept_history(cache) is not None
    recompute(served, cache, artifact, [last_entry(cache)], history_ttl_s=0)
    assert kept_history(cache) is None
    recompute(served, cache, artifact, [last_entry(cache)])
    realtime.forget_customer(cache, CUSTOMER)
    assert kept_history(cache) is None


def test_an_identified_customer_has_their_history_kept_before_their_first_event(served, cache: redis.Redis,
                                                                               artifact: Artifact) -> None:
    forget = cache.pipeline(transaction=False)
    customer_history.forget(forget, CUSTOMER)
    forget.execute()
    assert realtime.customer_identified(cache, CUSTOMER)
    identified = last_entry(cache)
    assert identified["kind"] == customer_history.IDENTIFIED and identified["customer_id"] == CUSTOMER
    reads = served.graph.round_trips
    assert recompute(served, cache, artifact, [identified]) is not None    # read, kept, list written
    assert served.graph.round_trips == reads + 1
    assert kept_history(cache) is not None
    listed = keys.customer_offers(CUSTOMER, offers.versions(cache)["current"])
    cache.delete(listed)
    assert recompute(served, cache, artifact, [identified]) is None        # kept already: nothing to do
    assert not cache.exists(listed) and served.graph.round_trips == reads + 1
    realtime.record_event(served.graph, cache, view("identified-1", served.group_b[0]))
    reads = served.graph.round_trips
    assert recompute(served, cache, artifact, [identified, last_entry(cache)]) is not None
    assert served.graph.round_trips == reads and cache.exists(listed)      # the visit's view: no graph read
    assert recompute(served, cache, artifact, [identified], history_ttl_s=0) is None   # nothing to prepare
    assert served.graph.round_trips == reads


def test_identifying_a_customer_while_redis_is_down_is_no_error() -> None:
    unreachable = redis.Redis(port=1, socket_connect_timeout=0.2)
    assert realtime.customer_identified(unreachable, CUSTOMER) is False


KEPT = History({"retailer_id": "r"}, [["p1", "o1", 100, "purchase", "s1"], ["p2", "e1", 200, "view", None]])


def entry(**fields: str) -> dict[str, str]:
    return {"event_id": "e2", "kind": "view", "product_id": "p3", "store_id": "", "at": "300", **fields}


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, [["p3", "e2", 300, "view", None]]),
    ({"kind": "cart", "store_id": "s1"}, [["p3", "e2", 300, "cart", "s1"]]),
    ({"event_id": "e1"}, []),                                  # already kept
    ({"kind": "search", "product_id": ""}, []),                # no product, no weight
    ({"kind": "visit", "product_id": "p1"}, []),               # not an interaction kind
    ({"event_id": "", "kind": "identified", "product_id": ""}, []),   # the customer made themselves known
])
def test_entries_the_stream_describes_in_full_are_appended(fields: dict[str, str], expected: list[list[Any]]) -> None:
    assert customer_history.with_events(KEPT, [entry(**fields)]).rows == KEPT.rows + expected


@pytest.mark.parametrize("fields", [
    {"event_id": "", "kind": "consent", "product_id": ""},    # a refresh request
    {"kind": "purchase", "product_id": ""},                   # an order: its lines are in the graph
    {"kind": "return", "product_id": ""},
    {"at": ""},                                               # replayed after an outage
])
def test_entries_only_the_graph_knows_need_the_graph(fields: dict[str, str]) -> None:
    assert customer_history.with_events(KEPT, [entry(), entry(**fields)]) is None


def purchases_kept(artifact: Artifact) -> Any:
    [(digest, made)] = [v for k, v in artifact.worker_memo.items() if k[0] == "purchases" and k[1] == CUSTOMER]
    return made


def test_a_view_reuses_the_purchase_history_and_a_purchase_makes_it_again(served, cache: redis.Redis,
                                                                           artifact: Artifact) -> None:
    realtime.record_event(served.graph, cache, view("memo-1", served.group_b[0]))
    recompute(served, cache, artifact, [last_entry(cache)])
    made = purchases_kept(artifact)
    realtime.record_event(served.graph, cache, view("memo-2", served.group_b[1]))
    recompute(served, cache, artifact, [last_entry(cache)])
    assert purchases_kept(artifact) is made                          # a view changes no purchase
    reused = ranked(cache)
    recompute(served, cache, model.load(served.models_dir / "shop"), None)   # a fresh worker, from the graph
    assert ranked(cache) == reused

    history = kept_history(cache)
    bought = History(history.profile, [*history.rows, [served.group_b[2], "memo-basket", int(served.now.timestamp()),
                                                       "purchase", None]])
    now, settings = int(served.now.timestamp()) + 3_600, HybridSettings()
    stats = realtime.one_customer(artifact, CUSTOMER, bought, now, settings).stats
    assert purchases_kept(artifact) is not made                      # a purchase: made again
    fresh = realtime.one_customer(model.load(served.models_dir / "shop"), CUSTOMER, bought, now, settings).stats
    for name in ("baskets", "last", "interval", "rate"):
        assert (getattr(stats, name) != getattr(fresh, name)).nnz == 0, name
