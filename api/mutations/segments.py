"""createSegment, updateSegment, deleteSegment: service_desk, integrator and admin only."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.errors import ApiError, MutationError, invalid, not_found
from api.mutations.common import text_field, write
from api.queries.audiences import segment_filter
from api.types.analytics import CanUseAudiences, Segment, SegmentFilterInput
from graph import segments

MAX_NAME = 200


@strawberry.type(description="Result of a segment mutation.")
class SegmentPayload:
    segment: Segment | None = strawberry.field(description="The segment as saved and counted; null when rejected.")
    errors: list[MutationError] = strawberry.field(description="Problems with the input; empty on success.")


@strawberry.type(description="Result of deleteSegment.")
class DeleteSegmentPayload:
    deleted: bool = strawberry.field(description="True when the segment existed and is gone.")
    errors: list[MutationError] = strawberry.field(description="Problems with the input; empty on success.")


def _checked(filter: SegmentFilterInput, errors: list[MutationError]) -> segments.SegmentFilter | None:
    try:
        return segment_filter(filter)
    except ApiError as exc:
        errors.append(invalid(exc.field or "filter", str(exc)))
        return None


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(description="Save a named segment; its members are counted at once and kept current.",
                         permission_classes=[CanUseAudiences])
    async def create_segment(
        self, info: strawberry.Info,
        name: Annotated[str, strawberry.argument(description="Name, 1..200 characters.")],
        filter: Annotated[SegmentFilterInput, strawberry.argument(description="The conditions.")],
    ) -> SegmentPayload:
        errors: list[MutationError] = []
        text_field(name, "name", errors, required=True, most=MAX_NAME)
        f = _checked(filter, errors)
        if errors or f is None:
            return SegmentPayload(segment=None, errors=errors)
        saved = await write(info, segments.save_segment, name.strip(), f)
        return SegmentPayload(segment=Segment.from_stored(saved), errors=[])

    @strawberry.mutation(description="Rename a segment and/or replace its conditions; members are recounted.",
                         permission_classes=[CanUseAudiences])
    async def update_segment(
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Segment id.")],
        name: Annotated[str | None, strawberry.argument(description="New name (default: keep).")] = None,
        filter: Annotated[SegmentFilterInput | None, strawberry.argument(
            description="New conditions (default: keep).")] = None,
    ) -> SegmentPayload:
        held = await write(info, segments.segment_by_id, str(id))
        if held is None:
            return SegmentPayload(segment=None, errors=[not_found("id", f"no segment {id}")])
        errors: list[MutationError] = []
        if name is not None:
            text_field(name, "name", errors, required=True, most=MAX_NAME)
        f = _checked(filter, errors) if filter is not None else held.filter
        if errors or f is None:
            return SegmentPayload(segment=None, errors=errors)
        saved = await write(info, segments.save_segment, (name or held.name).strip(), f, str(id))
        return SegmentPayload(segment=Segment.from_stored(saved), errors=[])

    @strawberry.mutation(description="Delete a segment and its memberships.", permission_classes=[CanUseAudiences])
    async def delete_segment(
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Segment id.")],
    ) -> DeleteSegmentPayload:
        deleted = await write(info, segments.delete_segment, str(id))
        errors = [] if deleted else [not_found("id", f"no segment {id}")]
        return DeleteSegmentPayload(deleted=deleted, errors=errors)
