"""The PII audit log: one Redis stream entry per customer whose personal fields a request read.

The stream is capped (approximately `max_entries`); entries that cannot be written while Redis is
down wait in a bounded in-process queue and are written with the next successful batch.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone

import redis

from api.errors import CACHE_DOWN
from api.permissions import Caller
from recsys.keys import pii_audit_log

Entry = dict[str, str]


@dataclass
class AuditLog:
    cache: redis.Redis
    max_entries: int = 1_000_000
    pending: deque[Entry] = field(default_factory=lambda: deque(maxlen=100_000))

    def record(self, caller: Caller, reads: dict[str, set[str]], operation: str | None) -> None:
        """Append one entry per customer read (who, which customer, which fields) in one round trip."""
        for customer_id, fields in reads.items():
            self.pending.append({"key_id": caller.key_id, "role": caller.role.value, "customer_id": customer_id,
                                 "fields": ",".join(sorted(fields)), "operation": operation or "",
                                 "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds")})
        self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        pipe = self.cache.pipeline(transaction=False)
        batch = list(self.pending)
        for entry in batch:
            pipe.xadd(pii_audit_log(), entry, maxlen=self.max_entries, approximate=True)
        try:
            pipe.execute()
        except CACHE_DOWN:
            return
        for _ in batch:
            self.pending.popleft()

    def entries(self, customer_id: str | None, limit: int, scan: int = 10_000) -> list[Entry]:
        """Newest first; with `customer_id`, only that customer's among the newest `scan` entries."""
        rows = self.cache.xrevrange(pii_audit_log(), count=limit if customer_id is None else scan)
        found = []
        for entry_id, raw in rows:
            entry = {k.decode(): v.decode() for k, v in raw.items()} | {"id": entry_id.decode()}
            if customer_id is None or entry["customer_id"] == customer_id:
                found.append(entry)
            if len(found) == limit:
                break
        return found
