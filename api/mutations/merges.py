"""mergeCustomers and unmergeCustomers: two profiles found to be one person, and the way back."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Annotated

import strawberry

from api.errors import CACHE_DOWN, MutationError, MutationErrorCode, invalid, not_found
from api.mutations.common import changed_customer, refresh_offers, text_field, write
from api.permissions import CanMergeCustomers
from api.queries.customer import IdentityInput
from api.types.common import Channel
from api.types.customer import Customer
from graph.merges import merge_customers, merge_state, unmerge_customers
from recsys.realtime import forget_customer, hold_identities_now


@strawberry.input(description="Why two profiles are one person: the identifier they share and where it was seen.")
class MergeReason:
    identity: IdentityInput = strawberry.field(description="The identifier that caused the merge.")
    channel: Channel = strawberry.field(description="Channel where the match was found.")


@strawberry.type(description="Result of mergeCustomers or unmergeCustomers.")
class MergePayload:
    customer: Customer | None = strawberry.field(description="The surviving profile as now stored; null on errors.")
    other: Customer | None = strawberry.field(description="unmerge: the restored profile; merge: null.")
    moved: int = strawberry.field(description="Relationships (orders, events, identities ...) moved.")
    errors: list[MutationError] = strawberry.field(description="Problems with the input; empty on success.")


def _refused(*errors: MutationError) -> MergePayload:
    return MergePayload(customer=None, other=None, moved=0, errors=list(errors))


def _merge_errors(state: dict[str, dict[str, object]], survivor: str, merged: str) -> list[MutationError]:
    errors = [not_found(field, f"no customer {cid}") for field, cid in (("survivor", survivor), ("merged", merged))
              if cid not in state]
    if errors:
        return errors
    if survivor == merged:
        return [invalid("merged", "a profile cannot be merged into itself")]
    for field, cid in (("survivor", survivor), ("merged", merged)):
        if state[cid]["merged_into"]:
            errors.append(MutationError(code=MutationErrorCode.CONFLICT, field=field, message=(
                f"customer {cid} is already merged into {state[cid]['merged_into']}")))
    if not errors and state[survivor]["retailer_id"] != state[merged]["retailer_id"]:
        errors.append(invalid("merged", "profiles of different retailers cannot be merged"))
    return errors


@strawberry.type
class MergeMutation:
    @strawberry.mutation(description="Merge the `merged` profile into `survivor`: orders, events, service cases, "
                                     "identities and consents (the newest decision per purpose and medium wins) "
                                     "move to the survivor, which also answers for the merged id from now on. "
                                     "Records the identifier and channel that caused it, who and when. "
                                     "service_desk and admin only.", permission_classes=[CanMergeCustomers])
    async def merge_customers(
        self, info: strawberry.Info,
        survivor: Annotated[strawberry.ID, strawberry.argument(description="Profile that remains.")],
        merged: Annotated[strawberry.ID, strawberry.argument(description="Profile merged into the survivor.")],
        reason: Annotated[MergeReason, strawberry.argument(description="The identifier they share, and where.")],
    ) -> MergePayload:
        errors: list[MutationError] = []
        value = text_field(reason.identity.value, "reason.identity.value", errors, required=True, most=200)
        state = await write(info, merge_state, [str(survivor), str(merged)])
        errors += _merge_errors(state, str(survivor), str(merged))
        if errors:
            return _refused(*errors)
        caller = info.context.caller
        record = {"merge_id": f"M{secrets.token_hex(6).upper()}", "identity_kind": reason.identity.kind.value,
                  "identity_value": value, "channel_id": reason.channel.value,
                  "by": f"{caller.role.value}:{caller.key_id}", "at": datetime.now(timezone.utc)}
        moved = await write(info, merge_customers, str(survivor), str(merged), record)
        if moved is None:
            return _refused(MutationError(code=MutationErrorCode.CONFLICT, field="merged",
                                          message="the profiles changed meanwhile; try again"))
        refresh_offers(info, str(survivor), "merge")
        _forget_offers(info, str(merged))
        customer = await changed_customer(info, str(survivor))
        _remap_identities(info, customer)
        return MergePayload(customer=customer, other=None, moved=moved, errors=[])

    @strawberry.mutation(description="Undo the merge of `merged`: it gets back exactly what it had, and what "
                                     "was recorded under its id while merged; the survivor keeps only its own. A "
                                     "survivor that was itself merged on must be unmerged first. service_desk and "
                                     "admin only.",
                         permission_classes=[CanMergeCustomers])
    async def unmerge_customers(
        self, info: strawberry.Info,
        merged: Annotated[strawberry.ID, strawberry.argument(description="The merged-away profile to restore.")],
    ) -> MergePayload:
        state = await write(info, merge_state, [str(merged)])
        if str(merged) not in state:
            return _refused(not_found("merged", f"no customer {merged}"))
        if not state[str(merged)]["merged_into"]:
            return _refused(invalid("merged", f"customer {merged} is not merged into another profile"))
        done = await write(info, unmerge_customers, str(merged))
        if done is None:
            return _refused(MutationError(code=MutationErrorCode.CONFLICT, field="merged", message=(
                f"customer {state[str(merged)]['merged_into']} was merged on into another profile; unmerge it "
                "first")))
        survivor, moved = done
        for cid in (survivor, str(merged)):
            refresh_offers(info, cid, "unmerge")
        customer, other = await changed_customer(info, survivor), await changed_customer(info, str(merged), "other")
        _remap_identities(info, customer, other)
        return MergePayload(customer=customer, other=other, moved=moved, errors=[])


def _forget_offers(info: strawberry.Info, merged: str) -> None:
    """The merged-away id's offers are the survivor's from now on (while Redis is down its old list stays)."""
    try:
        forget_customer(info.context.services.cache, merged)
    except CACHE_DOWN:
        pass


def _remap_identities(info: strawberry.Info, *customers: Customer | None) -> None:
    """Card scans find the profiles as they now are at once: the offer store's identity map would otherwise name
    the other profile until the worker recomputes them (for as long as no worker runs)."""
    for customer in customers:
        if customer is not None:
            try:
                hold_identities_now(info.context.services.cache, customer.customer_id,
                                    [(i["kind"], i["value"]) for i in customer.profile["identities"]])
            except CACHE_DOWN:      # no map is served while Redis is down; the worker rewrites it after
                pass
