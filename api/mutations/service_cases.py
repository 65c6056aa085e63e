"""openServiceCase and addServiceNote."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Annotated

import strawberry

from api.errors import MutationError, MutationErrorCode, invalid, not_found
from api.mutations.common import text_field, write
from api.permissions import CanHandleCases
from api.types.activity import ServiceCase
from api.types.common import Channel
from graph.profiles import known_ids, service_case
from graph.service_cases import UPSERT_SERVICE_CASES, UPSERT_SERVICE_NOTES
from graph.writes import write_steps

STATUSES = ("open", "pending", "closed")


@strawberry.input(description="A new service case.")
class OpenServiceCaseInput:
    customer: strawberry.ID = strawberry.field(description="Who raised it.")
    subject: str = strawberry.field(description="Short subject, 1..200 characters.")
    channel: Channel = strawberry.field(description="Where it was raised.")
    order: strawberry.ID | None = strawberry.field(default=None, description="Order it is about, if any.")
    note: str | None = strawberry.field(default=None, description="First note, ≤ 2000 characters.")


@strawberry.type(description="Result of a service-case mutation.")
class ServiceCasePayload:
    service_case: ServiceCase | None = strawberry.field(description="The case as now stored; null when rejected.")
    errors: list[MutationError] = strawberry.field(description="Problems with the input; empty on success.")


def _note_row(case_id: str, text: str, author: str) -> dict[str, object]:
    return {"note_id": f"N{secrets.token_hex(6).upper()}", "case_id": case_id,
            "props": {"at": datetime.now(timezone.utc), "author": author, "text": text}}


async def _payload(info: strawberry.Info, case_id: str) -> ServiceCasePayload:
    record = await service_case(info.context.graph, case_id)
    return ServiceCasePayload(service_case=ServiceCase.from_record(record) if record else None, errors=[])


def _author(info: strawberry.Info, given: str | None) -> str:
    caller = info.context.caller
    return given or f"{caller.role.value}:{caller.key_id}"


@strawberry.type
class ServiceCaseMutation:
    @strawberry.mutation(description="Open a service case for a customer, optionally about an order and with a "
                                     "first note. service_desk, integrator and admin only.",
                         permission_classes=[CanHandleCases])
    async def open_service_case(self, info: strawberry.Info, input: Annotated[OpenServiceCaseInput, strawberry.argument(
            description="The case.")]) -> ServiceCasePayload:
        errors: list[MutationError] = []
        subject = text_field(input.subject, "subject", errors, required=True, most=200)
        note = text_field(input.note, "note", errors)
        known = await known_ids(info.context.graph, customers=[str(input.customer)],
                                orders=[str(input.order)] if input.order else [])
        if str(input.customer) not in known["customers"]:
            errors.append(not_found("customer", f"no customer {input.customer}"))
        live = known["survivors"].get(str(input.customer), str(input.customer))
        placer = known["order_customers"].get(str(input.order))
        if input.order and str(input.order) not in known["orders"]:
            errors.append(not_found("order", f"no order {input.order}"))
        elif placer not in (None, live):   # a guest's order may be claimed by the customer calling about it
            errors.append(MutationError(code=MutationErrorCode.CONFLICT, field="order",
                                        message=f"order {input.order} was placed by customer {placer}"))
        if errors:
            return ServiceCasePayload(service_case=None, errors=errors)
        case_id = f"SC{secrets.token_hex(6).upper()}"
        case = {"case_id": case_id, "customer_id": str(input.customer), "channel_id": input.channel.value,
                "order_id": str(input.order) if input.order else None,
                "props": {"opened_at": datetime.now(timezone.utc), "subject": subject, "status": "open"}}
        notes = [_note_row(case_id, note, _author(info, None))] if note else []
        await write(info, write_steps, [(UPSERT_SERVICE_CASES, [case]), (UPSERT_SERVICE_NOTES, notes)])
        return await _payload(info, case_id)

    @strawberry.mutation(description="Add a note to a service case, optionally changing its status (open, pending, "
                                     "closed). service_desk, integrator and admin only.",
                         permission_classes=[CanHandleCases])
    async def add_service_note(
        self, info: strawberry.Info,
        case: Annotated[strawberry.ID, strawberry.argument(description="Case id.")],
        text: Annotated[str, strawberry.argument(description="The note, 1..2000 characters.")],
        author: Annotated[str | None, strawberry.argument(description="Agent; default: the caller's key id.")] = None,
        status: Annotated[str | None, strawberry.argument(description="New status: open, pending or closed.")] = None,
    ) -> ServiceCasePayload:
        errors: list[MutationError] = []
        note = text_field(text, "text", errors, required=True)
        author = text_field(author, "author", errors, most=200)
        if status is not None and status not in STATUSES:
            errors.append(invalid("status", f"status is one of {', '.join(STATUSES)}"))
        record = await service_case(info.context.graph, str(case))
        if record is None:
            errors.append(not_found("case", f"no service case {case}"))
        if errors:
            return ServiceCasePayload(service_case=None, errors=errors)
        steps = [(UPSERT_SERVICE_NOTES, [_note_row(str(case), note, _author(info, author))])]  # type: ignore[arg-type]
        if status:
            steps.append((UPSERT_SERVICE_CASES, [{"case_id": str(case), "customer_id": record["customer_id"],
                                                  "channel_id": None, "order_id": None, "props": {"status": status}}]))
        await write(info, write_steps, steps)
        return await _payload(info, str(case))
