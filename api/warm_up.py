"""Neo4j's query plans for the API's hot reads and its event write, made before the first request needs them.

Neo4j plans a query the first time it meets its text with parameters of a new shape: each parameter's type and,
for a list or a string, its length to the power of ten (0, 1, 2-10, 11-100, ...). Planning takes 50-250 ms for most
of the API's queries and 0.7-1.5 s for the customer profile, and a Neo4j server starts with no plans, as does one
whose statistics a large load has just refreshed. The lifespan runs each hot query here once in each shape callers
send, for identifiers nobody holds: nothing is found, and the event names a channel that does not exist, so its
write matches nothing. It runs again every minute or so (`keep_warm`): a load that refreshes the statistics drops
every plan of a server that keeps running, and Neo4j plans a query again once its statistics have moved.
"""

from __future__ import annotations

import logging
import time

import anyio
import neo4j
from anyio import to_thread

from api.context import Services
from api.errors import CACHE_DOWN, GRAPH_DOWN
from api.types.common import IdentityKind
from graph.catalog_reads import product_availability, products_by_ids, stores_by_ids
from graph.profiles import (OrderPage, ProfileParts, customer_id_by_identity, customer_profiles, known_ids,
                            search_customer_ids)
from recsys.realtime import record_event

log = logging.getLogger("api")

NOBODY = "\x00warm-up"   # begins with a NUL, which no identifier a retailer issues holds
SPELLINGS = ("+0 000 000 000", "Nobody@Warm-Up.invalid")   # a phone and an e-mail as typed: one or two lookups
ID_LISTS = (1, 10, 100)  # a customer, an offer list's products, a page
SCREEN = ProfileParts(orders=OrderPage(), events_first=1, timeline_first=1)   # the service desk's customer 360
PROFILE_READS = ((ProfileParts(), 1), (ProfileParts(), 10), (ProfileParts(), 100), (SCREEN, 1))   # (parts, ids)
EVENT_CHECKS = ((1, 1, 1), (1, 1, 0), (1, 0, 0))   # (customers, products, stores) a write checks
SEARCHES = ({"name": "Nobody"}, {"name": "Nobody Warm Up"}, {"phone": SPELLINGS[0]}, {"email": SPELLINGS[1]},
            {"card": NOBODY}, {"card": NOBODY * 2})   # the service desk's: a word or two, a phone, an e-mail, a card
PLANNING_S = 0.5   # a warm-up longer than this planned something: keep_warm says so


def _nobody(count: int) -> list[str]:
    return [f"{NOBODY}{n}" for n in range(count)]


async def warm_up(services: Services, *, quiet: bool = False) -> int:
    """Run the hot queries once in each shape (see the module docstring); how many ran. A failure is logged and
    ends the warm-up: the server serves regardless, and the first requests plan what is left. `quiet`: logged
    only when it took long enough to have planned something."""
    started, ran = time.perf_counter(), 0
    graph = services.graph
    try:
        for kind in IdentityKind:
            for spelling in SPELLINGS:
                await customer_id_by_identity(graph, kind.value, spelling)
                ran += 1
        for parts, size in PROFILE_READS:
            await customer_profiles(graph, _nobody(size), parts)
            ran += 1
        for size in ID_LISTS:
            await products_by_ids(graph, _nobody(size))
            await stores_by_ids(graph, _nobody(size))
            ran += 2
        for search in SEARCHES:
            await search_customer_ids(graph, **search, limit=21)
            ran += 1
        for store in (None, NOBODY):
            await product_availability(graph, NOBODY, store, 200)
            ran += 1
        for customers, products, stores in EVENT_CHECKS:
            await known_ids(graph, customers=_nobody(customers), products=_nobody(products), stores=_nobody(stores))
            ran += 1
        event = {"event_id": NOBODY, "kind": "view", "channel_id": NOBODY, "customer_id": NOBODY,
                 "product_id": NOBODY, "store_id": NOBODY}
        await to_thread.run_sync(record_event, services.write_graph, services.cache, event)
        ran += 1
    except (neo4j.exceptions.Neo4jError, *GRAPH_DOWN, *CACHE_DOWN) as error:   # the server starts regardless
        log.warning("query plan warm-up stopped after %d queries: %s", ran, error)
        return ran
    took = time.perf_counter() - started
    if not quiet or took > PLANNING_S:
        log.info("warmed %d query plans in %.1f s", ran, took)
    return ran


async def keep_warm(services: Services, every_s: float) -> None:
    """warm_up every `every_s` seconds, until cancelled."""
    while True:
        await anyio.sleep(every_s)
        await warm_up(services, quiet=True)
