"""Audiences of the retail playbook and saved segments: service_desk, integrator and admin only, consent applied."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from functools import partial
from typing import Annotated, Any, TypeVar

import strawberry
from anyio import to_thread

from analytics.export import write_csv
from api.errors import BadInput
from api.selection import bounded, child, customer_parts
from api.types.analytics import (MAX_PAGE, AudienceMember, AudiencePage, CanUseAudiences, Segment,
                                 SegmentFilterInput, SegmentMemberPage, SegmentPreview, member_cursor,
                                 parse_member_cursor)
from api.types.common import ConsentMedium, ConsentPurpose
from api.types.customer import load_customers
from graph import audiences, segments
from graph.segments import FilterError, SegmentFilter

T = TypeVar("T")
MAX_DAYS = 366
MAX_EXPORT = 100_000
PREVIEW_SAMPLE = 20

Purpose = Annotated[ConsentPurpose, strawberry.argument(
    description="Purpose of the contact: customers who withdrew consent for it are never returned.")]
Medium = Annotated[ConsentMedium | None, strawberry.argument(
    description="Contact medium: also keeps out who withdrew it for this medium (null or ANY: any medium).")]
CsvMedium = Annotated[ConsentMedium | None, strawberry.argument(
    description="EMAIL or SMS: only that contact, of customers who granted the purpose on it (or ANY) and have one. "
                "Null or ANY: each customer's contacts of the media they granted. PUSH and POST are refused.")]
OptIn = Annotated[bool, strawberry.argument(description="Only customers who granted the purpose (opt-in).")]
Retailer = Annotated[strawberry.ID | None, strawberry.argument(description="Only this retailer's customers.")]
First = Annotated[int, strawberry.argument(description=f"Page size, 1..{MAX_PAGE}.")]
Offset = Annotated[int, strawberry.argument(description="Rows to skip (offset of the previous page + first).")]


async def _sync(info: strawberry.Info, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a sync graph function (graph.audiences / graph.segments) in a worker thread."""
    return await to_thread.run_sync(partial(work, info.context.services.write_graph, *args, **kwargs))


def consent(purpose: ConsentPurpose, medium: ConsentMedium | None, opt_in: bool,
            retailer: strawberry.ID | None) -> dict[str, Any]:
    """Keyword arguments of every graph.audiences function."""
    return {"purpose": purpose.value, "medium": None if medium in (None, ConsentMedium.ANY) else medium.value,  # type: ignore[union-attr]
            "opt_in": opt_in, "retailer_id": str(retailer) if retailer else None}


def _page(first: int, offset: int) -> dict[str, int]:
    bounded(first, MAX_PAGE, "first")
    if offset < 0:
        raise BadInput("offset must be 0 or more.", field="offset")
    return {"skip": offset, "limit": first + 1}


def _days(days: int, name: str = "days") -> int:
    return bounded(days, MAX_DAYS, name)


def _fits(day: date, days: int, name: str) -> date:
    """`day` if `days` from it (before it when negative) is still a date; else BadInput naming the day's argument."""
    try:
        day + timedelta(days=days)
    except OverflowError:
        edge = f"at least {-days} days after 0001-01-01" if days < 0 else f"at least {days} days before 9999-12-31"
        raise BadInput(f"{name} must be {edge}.", field=name) from None
    return day


def today() -> date:
    return datetime.now(timezone.utc).date()


async def members(info: strawberry.Info, rows: list[dict[str, Any]], container: str) -> list[AudienceMember]:
    """Audience members; their `customer` profiles loaded in one round trip when the query selects it."""
    found = [AudienceMember.from_row(r) for r in rows]
    outer = child(info.selected_fields[0].selections, container)
    inner = child(outer.selections, "customer") if outer else None
    if inner and found:
        loaded = await load_customers(info, [str(m.id) for m in found], customer_parts(inner.selections))
        for m, c in zip(found, loaded):
            m.customer_ref = c
    return found


async def audience_page(info: strawberry.Info, rows: list[dict[str, Any]], first: int, offset: int) -> AudiencePage:
    return AudiencePage(nodes=await members(info, rows[:first], "nodes"), offset=offset, has_more=len(rows) > first)


def segment_filter(given: SegmentFilterInput) -> SegmentFilter:
    """The graph filter; BadInput naming the field on a bad value."""
    try:
        f = given.to_filter()
    except FilterError as exc:
        raise BadInput(str(exc), field="filter") from None
    if f.spend_min_minor is not None and f.spend_max_minor is not None and f.spend_min_minor > f.spend_max_minor:
        raise BadInput("spendMinMinor is above spendMaxMinor.", field="filter.spendMinMinor")
    return f


async def stored_segment(info: strawberry.Info, segment_id: strawberry.ID) -> segments.Segment:
    found = await _sync(info, segments.segment_by_id, str(segment_id))
    if found is None:
        raise BadInput(f"no segment {segment_id}.", field="id")
    return found


def segment_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text with a header row (see analytics.export)."""
    out = io.StringIO()
    write_csv(rows, out)
    return out.getvalue()


def _export(graph: Any, f: SegmentFilter, purpose: str, medium: str | None) -> list[dict[str, Any]]:
    try:
        found = segments.stream_matching(graph, f, purpose=purpose, medium=medium)
    except ValueError:
        raise BadInput("the CSV holds e-mail addresses and phone numbers: medium must be EMAIL, SMS, ANY or null.",
                       field="medium") from None
    rows = []
    for row in found:
        rows.append(row)
        if len(rows) > MAX_EXPORT:
            raise BadInput(f"the segment holds more than {MAX_EXPORT:,} reachable customers: export it with "
                           "`c360 analytics --export-segment`.", field="id")
    return rows


@strawberry.type
class AudienceQuery:
    @strawberry.field(description="Post-purchase care: who bought any of the products, or anything in the "
                                  "categories (or below), on days [since, until), by id.",
                      permission_classes=[CanUseAudiences])
    async def post_purchase_care(
        self, info: strawberry.Info,
        since: Annotated[date, strawberry.argument(description="First purchase day (UTC).")],
        until: Annotated[date, strawberry.argument(description="Day after the last purchase day (UTC).")],
        products: Annotated[list[strawberry.ID] | None, strawberry.argument(description="Product ids.")] = None,
        categories: Annotated[list[strawberry.ID] | None, strawberry.argument(description="Category ids.")] = None,
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None, opt_in: OptIn = False,
        retailer: Retailer = None, first: First = 100, offset: Offset = 0,
    ) -> AudiencePage:
        if not (products or categories):
            raise BadInput("give products or categories.", field="products")
        rows = await _sync(info, audiences.post_purchase_care, start=since, end=until,
                           product_ids=tuple(map(str, products or ())), category_ids=tuple(map(str, categories or ())),
                           **consent(purpose, medium, opt_in, retailer), **_page(first, offset))
        return await audience_page(info, rows, first, offset)

    @strawberry.field(description="Dormant customers worth waking, highest spend (last 365 days) first, with the "
                                  "channel they answer on.", permission_classes=[CanUseAudiences])
    async def dormant_worth_waking(
        self, info: strawberry.Info,
        min_spend_minor: Annotated[int, strawberry.argument(description="Least spend, minor units.")] = 0,
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None, opt_in: OptIn = False,
        retailer: Retailer = None, first: First = 100, offset: Offset = 0,
    ) -> AudiencePage:
        rows = await _sync(info, audiences.dormant_worth_waking, min_spend_minor=min_spend_minor,
                           **consent(purpose, medium, opt_in, retailer), **_page(first, offset))
        return await audience_page(info, rows, first, offset)

    @strawberry.field(description=f"Birthdays on the `days` days from `from` (default today, UTC), soonest first "
                                  f"(1..{MAX_DAYS} days).", permission_classes=[CanUseAudiences])
    async def birthdays(
        self, info: strawberry.Info,
        days: Annotated[int, strawberry.argument(description="How many days ahead, 1..366.")] = 7,
        from_: Annotated[date | None, strawberry.argument(name="from", description="First day.")] = None,
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None, opt_in: OptIn = False,
        retailer: Retailer = None, first: First = 100, offset: Offset = 0,
    ) -> AudiencePage:
        _page(first, offset)
        rows = await _sync(info, audiences.birthdays, start=_fits(from_ or today(), _days(days), "from"), days=days,
                           **consent(purpose, medium, opt_in, retailer))
        return await audience_page(info, rows[offset:offset + first + 1], first, offset)

    @strawberry.field(description="Gift buyers: who bought, in the `windowDays` before `holiday`, products aimed at "
                                  "a group their household is not in (children's products without children, women's "
                                  "as a man, men's as a woman); most gifts first.",
                      permission_classes=[CanUseAudiences])
    async def gift_buyers(
        self, info: strawberry.Info,
        holiday: Annotated[date, strawberry.argument(description="The holiday (purchases before it count).")],
        window_days: Annotated[int, strawberry.argument(description="Days before the holiday, 1..366.")] = 42,
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None, opt_in: OptIn = False,
        retailer: Retailer = None, first: First = 100, offset: Offset = 0,
    ) -> AudiencePage:
        window_days = _days(window_days, "windowDays")
        rows = await _sync(info, audiences.gift_buyers, holiday=_fits(holiday, -window_days, "holiday"),
                           window_days=window_days, **consent(purpose, medium, opt_in, retailer),
                           **_page(first, offset))
        return await audience_page(info, rows, first, offset)

    @strawberry.field(description="Replenishment due: (customer, consumable) pairs running out on the `days` days "
                                  "from `from` (default today, UTC), soonest first.",
                      permission_classes=[CanUseAudiences])
    async def replenishment_due(
        self, info: strawberry.Info,
        days: Annotated[int, strawberry.argument(description="How many days ahead, 1..366.")] = 7,
        from_: Annotated[date | None, strawberry.argument(name="from", description="First day.")] = None,
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None, opt_in: OptIn = False,
        retailer: Retailer = None, first: First = 100, offset: Offset = 0,
    ) -> AudiencePage:
        rows = await _sync(info, audiences.replenishment_due, start=_fits(from_ or today(), _days(days), "from"),
                           days=days, **consent(purpose, medium, opt_in, retailer), **_page(first, offset))
        return await audience_page(info, rows, first, offset)

    @strawberry.field(description="Core-tier customers whose lifecycle stage is at risk, most recently turned first, "
                                  "with their previous stage and the channel they answer on.",
                      permission_classes=[CanUseAudiences])
    async def at_risk_core(
        self, info: strawberry.Info,
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None, opt_in: OptIn = False,
        retailer: Retailer = None, first: First = 100, offset: Offset = 0,
    ) -> AudiencePage:
        rows = await _sync(info, audiences.at_risk_core, **consent(purpose, medium, opt_in, retailer),
                           **_page(first, offset))
        return await audience_page(info, rows, first, offset)

    @strawberry.field(description="A saved segment; null if unknown.", permission_classes=[CanUseAudiences])
    async def segment(self, info: strawberry.Info,
                      id: Annotated[strawberry.ID, strawberry.argument(description="Segment id.")]) -> Segment | None:
        found = await _sync(info, segments.segment_by_id, str(id))
        return Segment.from_stored(found) if found else None

    @strawberry.field(description="Every saved segment, by name.", permission_classes=[CanUseAudiences])
    async def segments(self, info: strawberry.Info) -> list[Segment]:
        return [Segment.from_stored(s) for s in await _sync(info, segments.all_segments)]

    @strawberry.field(description="A segment's members now, by customer id, reachable for the purpose.",
                      permission_classes=[CanUseAudiences])
    async def segment_members(
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Segment id.")],
        first: First = 100,
        after: Annotated[str | None, strawberry.argument(description="endCursor of the previous page.")] = None,
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None,
    ) -> SegmentMemberPage:
        bounded(first, MAX_PAGE, "first")
        found = await stored_segment(info, id)
        c = consent(purpose, medium, False, None)
        start = parse_member_cursor(after) if after else None
        rows = await _sync(info, segments.page_of_matching, found.filter, after=start, limit=first + 1,
                           purpose=c["purpose"], medium=c["medium"])
        nodes = await members(info, rows[:first], "nodes")
        more = len(rows) > first
        return SegmentMemberPage(nodes=nodes, end_cursor=member_cursor(str(nodes[-1].id)) if more else None,
                                 has_next_page=more)

    @strawberry.field(description=f"What a filter selects now, without saving it: the count and the first "
                                  f"{PREVIEW_SAMPLE} reachable customers.", permission_classes=[CanUseAudiences])
    async def preview_segment(
        self, info: strawberry.Info,
        filter: Annotated[SegmentFilterInput, strawberry.argument(description="The conditions.")],
        purpose: Purpose = ConsentPurpose.MARKETING, medium: Medium = None,
    ) -> SegmentPreview:
        f = segment_filter(filter)
        c = consent(purpose, medium, False, None)
        count = await _sync(info, segments.count_matching, f)
        rows = await _sync(info, segments.page_of_matching, f, limit=PREVIEW_SAMPLE, purpose=c["purpose"],
                           medium=c["medium"])
        return SegmentPreview(count=count, sample=await members(info, rows, "sample"))

    @strawberry.field(description=f"A segment's members reachable for the purpose as CSV for a campaign tool "
                                  f"(header row; only contacts the customer may be reached on, see medium; text "
                                  f"cells starting with = + - @ tab or CR are prefixed with ' so spreadsheets show "
                                  f"them as text; contact columns are personal data and the export is audited); at "
                                  f"most {MAX_EXPORT:,} rows.", permission_classes=[CanUseAudiences])
    async def segment_csv(
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Segment id.")],
        purpose: Purpose = ConsentPurpose.MARKETING, medium: CsvMedium = None,
    ) -> str:
        found = await stored_segment(info, id)
        c = consent(purpose, medium, False, None)
        rows = await _sync(info, _export, found.filter, c["purpose"], c["medium"])
        for row in rows:
            info.context.note_pii_read(row["customer_id"], "segmentCsv")
        return segment_csv(rows)
