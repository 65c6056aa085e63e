"""auditLog: who read which customer's personal fields, when."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.permissions import IsAdmin
from api.selection import bounded

MAX_ENTRIES = 500


@strawberry.type(description="One request's reads of one customer's personal fields.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Log entry id (time-ordered).")
    at: str = strawberry.field(description="When (ISO 8601, UTC).")
    key_id: str = strawberry.field(description="First 12 hex digits of the caller's key hash.")
    role: str = strawberry.field(description="Caller's role.")
    customer_id: strawberry.ID = strawberry.field(description="Whose data was read.")
    fields: list[str] = strawberry.field(description="Which personal fields.")
    operation: str | None = strawberry.field(description="GraphQL operation name, if the caller gave one.")


@strawberry.type
class AuditQuery:
    @strawberry.field(description=f"PII reads, newest first, 1..{MAX_ENTRIES}; optionally one customer's among the "
                                  "newest 10,000 entries. admin only.", permission_classes=[IsAdmin])
    def audit_log(self, info: strawberry.Info,
                  customer: Annotated[strawberry.ID | None, strawberry.argument(description="Only this customer.")]
                  = None,
                  first: Annotated[int, strawberry.argument(description="How many, 1..500.")] = 50,
                  ) -> list[AuditEntry]:
        bounded(first, MAX_ENTRIES, "first")
        entries = info.context.services.audit.entries(str(customer) if customer else None, first)
        return [AuditEntry(id=strawberry.ID(e["id"]), at=e["at"], key_id=e["key_id"], role=e["role"],
                           customer_id=strawberry.ID(e["customer_id"]), fields=e["fields"].split(","),
                           operation=e["operation"] or None) for e in entries]
