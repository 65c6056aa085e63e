"""Fan-out of the offer worker's notifications to subscribed clients: one Redis subscription per process."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import redis.asyncio

from recsys.realtime import offers_changed_channel

log = logging.getLogger("api")
QUEUE_SIZE = 16
CLOSE_ATTEMPTS = 50


@dataclass
class Broadcaster:
    """Listens on the offers-changed channel and wakes the queues of the customer named in each message."""

    redis_url: str
    retry_s: float = 1.0
    queues: dict[str, set[asyncio.Queue[dict[str, object]]]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    closing: bool = False

    @asynccontextmanager
    async def subscribe(self, customer_id: str) -> AsyncIterator[asyncio.Queue[dict[str, object]]]:
        """A queue receiving this customer's notifications while the context is open."""
        self._start()
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(QUEUE_SIZE)
        self.queues.setdefault(customer_id, set()).add(queue)
        try:
            yield queue
        finally:
            self.queues[customer_id].discard(queue)
            if not self.queues[customer_id]:
                del self.queues[customer_id]

    def publish_locally(self, message: dict[str, object]) -> None:
        for queue in self.queues.get(str(message.get("customer_id")), ()):
            if queue.full():
                queue.get_nowait()  # only "something changed" matters: drop the oldest
            queue.put_nowait(message)

    def _start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._listen(), name="offers-changed listener")

    async def _listen(self) -> None:
        while not self.closing:
            client = redis.asyncio.Redis.from_url(self.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(offers_changed_channel())
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._dispatch(message["data"])
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("offers-changed subscription lost (%s); retrying in %.0fs", exc, self.retry_s)
                await asyncio.sleep(self.retry_s)
            finally:
                await client.aclose()

    def _dispatch(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("ignoring malformed offers-changed message %r", data[:200])
            return
        if isinstance(message, dict):
            self.publish_locally(message)

    async def close(self) -> None:
        """Stop listening, cancelling again until the listener stops (bounded): a cancellation that lands while
        redis-py connects can be swallowed, and the listener would then wait for messages forever."""
        self.closing = True
        task, self.task = self.task, None
        for _ in range(CLOSE_ATTEMPTS):
            if task is None or task.done():
                return
            task.cancel()
            await asyncio.wait({task}, timeout=0.1)
        log.warning("the offers-changed listener did not stop; leaving it to the event loop's shutdown")
