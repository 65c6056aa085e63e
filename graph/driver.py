"""The one place that talks to the Neo4j driver: open, read, write, and count round trips."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from queue import Queue
from threading import Thread
from typing import Any, TypeVar

import neo4j
from neo4j import AsyncDriver, Driver, GraphDatabase, AsyncGraphDatabase, RoutingControl

T = TypeVar("T")


@dataclass
class Graph:
    """A sync driver bound to one database (naming it saves a round trip per transaction)."""

    driver: Driver
    database: str = "neo4j"
    round_trips: int = field(default=0)

    def read(self, query: str, **params: Any) -> list[neo4j.Record]:
        """Run a read query in one auto-committed transaction routed to a reader."""
        self.round_trips += 1
        records, _, _ = self.driver.execute_query(query, params, database_=self.database,
                                                  routing_=RoutingControl.READ)
        return records

    def write(self, query: str, **params: Any) -> neo4j.ResultSummary:
        """Run one write query in a managed (retried) transaction."""
        self.round_trips += 1
        _, summary, _ = self.driver.execute_query(query, params, database_=self.database,
                                                  routing_=RoutingControl.WRITE)
        return summary

    def write_tx(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """Run `work` in one managed write transaction; it must be idempotent (it may be retried)."""
        self.round_trips += 1
        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def stream(self, query: str, **params: Any) -> Iterator[neo4j.Record]:
        """Stream a large read without holding all records in memory."""
        self.round_trips += 1
        with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                 fetch_size=10_000) as session:
            yield from session.run(query, params)

    def close(self) -> None:
        self.driver.close()


@dataclass
class AsyncGraph:
    """An async driver bound to one database, for the API."""

    driver: AsyncDriver
    database: str = "neo4j"
    round_trips: int = field(default=0)

    async def read(self, query: str, **params: Any) -> list[neo4j.Record]:
        self.round_trips += 1
        records, _, _ = await self.driver.execute_query(query, params, database_=self.database,
                                                        routing_=RoutingControl.READ)
        return records

    async def write(self, query: str, **params: Any) -> list[neo4j.Record]:
        self.round_trips += 1
        records, _, _ = await self.driver.execute_query(query, params, database_=self.database,
                                                        routing_=RoutingControl.WRITE)
        return records

    async def close(self) -> None:
        await self.driver.close()


def open_graph(uri: str, user: str, password: str | None, database: str) -> Graph:
    """Connect and verify; raises neo4j.exceptions.ServiceUnavailable when nothing answers."""
    auth = (user, password) if password else None
    driver = GraphDatabase.driver(uri, auth=auth, max_connection_pool_size=16,
                                  notifications_min_severity="OFF")
    driver.verify_connectivity()
    return Graph(driver, database)


async def open_async_graph(uri: str, user: str, password: str | None, database: str,
                           retry_s: float = 30.0) -> AsyncGraph:
    """Connect and verify; `retry_s` bounds how long a transaction is retried while the server is away."""
    auth = (user, password) if password else None
    driver = AsyncGraphDatabase.driver(uri, auth=auth, max_connection_pool_size=64,
                                       notifications_min_severity="OFF", max_transaction_retry_time=retry_s,
                                       connection_acquisition_timeout=retry_s + 1)
    await driver.verify_connectivity()
    return AsyncGraph(driver, database)


def chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items (itertools.batched is Python 3.12+)."""
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def merged(readers: list[Callable[[], Iterator[T]]], batch: int = 500) -> Iterator[T]:
    """Items of every reader, each run in its own thread (so several queries read at once), in no fixed order;
    re-raises a reader's error."""
    queue: Queue[list[T] | BaseException | None] = Queue(maxsize=4 * len(readers))

    def pump(reader: Callable[[], Iterator[T]]) -> None:
        try:
            for chunk in chunks(reader(), batch):
                queue.put(chunk)
            queue.put(None)
        except BaseException as exc:  # noqa: BLE001 (handed to the consumer)
            queue.put(exc)
    threads = [Thread(target=pump, args=(r,), daemon=True) for r in readers]
    for t in threads:
        t.start()
    running = len(threads)
    while running:
        item = queue.get()
        if item is None:
            running -= 1
        elif isinstance(item, BaseException):
            raise item
        else:
            yield from item
