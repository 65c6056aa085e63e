"""Customer analytics in the API: figures on Customer (CustomerAnalytics), segments and audience members."""

from __future__ import annotations

import base64
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.errors import BadInput
from api.permissions import CanReadPII, RolePermission, S, I, A
from api.types.common import Channel, ConsentMedium, Money, channel, money
from graph.analytics import replenishments_of_customers
from graph.segments import Segment as StoredSegment
from graph.segments import SegmentFilter, segments_of_customers

if TYPE_CHECKING:
    from api.types.customer import Customer

MAX_PAGE = 500
CHANNELS_USED = ("Customers who used any of these channels: placed an order (purchase or return) or had an event "
                 "(e.g. a product view) through it.")


class CanUseAudiences(RolePermission):
    """Audiences and segments list customers for a purpose: the roles that may see personal data."""

    roles = frozenset({S, I, A})
    what = "use audiences or segments"


@strawberry.enum(description="Value tier by Pareto share of the retailer's revenue in the last 365 days.")
class ValueTier(Enum):
    CORE = "core"
    MIDDLE = "middle"
    TAIL = "tail"


@strawberry.enum(description="Lifecycle stage relative to the customer's own purchase rhythm (see README).")
class LifecycleStage(Enum):
    NEW = "new"
    ACTIVE = "active"
    AT_RISK = "at_risk"
    DORMANT = "dormant"
    CHURNED = "churned"
    REACTIVATED = "reactivated"


@strawberry.enum(description="RFM segment name used in retail practice.")
class RfmSegment(Enum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALIST = "potential_loyalist"
    NEW = "new"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANT_LOSE = "cant_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"


def _enum(kind: type[Enum], value: Any) -> Any:
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


@strawberry.type(description="Recency, frequency and monetary value, each scored 1-5 by quintile within the "
                             "retailer (5 best), as of the last analytics run.")
class Rfm:
    recency_days: int | None = strawberry.field(description="Days since the last purchase.")
    frequency: int = strawberry.field(description="Purchases in the last 365 days.")
    monetary: Money = strawberry.field(description="Purchases minus returns in the last 365 days.")
    r: int = strawberry.field(description="Recency score 1-5.")
    f: int = strawberry.field(description="Frequency score 1-5.")
    m: int = strawberry.field(description="Monetary score 1-5.")
    segment: RfmSegment | None = strawberry.field(description="Segment name from R and the mean of F and M.")
    as_of: date | None = strawberry.field(description="Day the figures were computed for.")


@strawberry.type(description="Buy-till-you-die prediction (BG/NBD with Gamma-Gamma) over the next `horizonDays` "
                             "(90 unless the last analytics run was told otherwise).")
class PredictedValue:
    expected_purchases: float = strawberry.field(description="Expected purchase days in the horizon.")
    expected_spend: Money | None = strawberry.field(description="Expected spend in the horizon; null when the "
                                                                "spend model could not be fitted.")
    horizon_days: int = strawberry.field(description="Length of the horizon in days.")


@strawberry.type(description="A consumable the customer buys regularly, and when it will run out.")
class ReplenishmentDue:
    product_id: strawberry.ID = strawberry.field(description="Product id.")
    product_name: str | None = strawberry.field(description="Product name.")
    interval_days: float = strawberry.field(description="The customer's median days between buying it.")
    purchases: int = strawberry.field(description="Days on which they bought it.")
    last_bought_on: date = strawberry.field(description="Last day they bought it.")
    due_on: date = strawberry.field(description="Last purchase + interval: when it runs out.")

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "ReplenishmentDue":
        return cls(product_id=strawberry.ID(r["product_id"]), product_name=r.get("product_name"),
                   interval_days=float(r["interval_days"]), purchases=int(r["purchases"]),
                   last_bought_on=_native(r["last_bought_on"]), due_on=_native(r["due_on"]))


@strawberry.type(description="Conditions of a segment; every one optional, list conditions match any value.")
class SegmentFilterView:
    retailer_id: strawberry.ID | None = strawberry.field(description="Only this retailer's customers.")
    region_ids: list[strawberry.ID] = strawberry.field(description="Customers in any of these regions.")
    age_bands: list[str] = strawberry.field(description="Any of these age bands, e.g. 35-44.")
    genders: list[str] = strawberry.field(description="Any of these genders, as given.")
    income_bands: list[str] = strawberry.field(description="Any of these household income bands.")
    tiers: list[ValueTier] = strawberry.field(description="Any of these value tiers.")
    lifecycle_stages: list[LifecycleStage] = strawberry.field(description="Any of these lifecycle stages.")
    rfm_segments: list[RfmSegment] = strawberry.field(description="Any of these RFM segments.")
    tags: list[str] = strawberry.field(description="Customers carrying any of these tags.")
    channels: list[Channel] = strawberry.field(description=CHANNELS_USED)
    bought_product_ids: list[strawberry.ID] = strawberry.field(description="Customers who bought any of these products (within boughtFrom..boughtTo).")
    bought_category_ids: list[strawberry.ID] = strawberry.field(description="Customers who bought in any of these categories (within boughtFrom..boughtTo).")
    bought_from: date | None = strawberry.field(description="First purchase day counted for the bought* conditions (inclusive).")
    bought_to: date | None = strawberry.field(description="Day after the last purchase day counted for the bought* conditions (exclusive).")
    spend_min_minor: int | None = strawberry.field(description="Minimum spend over the last 365 days, minor units.")
    spend_max_minor: int | None = strawberry.field(description="Maximum spend over the last 365 days, minor units.")

    @classmethod
    def from_filter(cls, f: SegmentFilter) -> "SegmentFilterView":
        listed = lambda kind, values: [v for v in (_enum(kind, x) for x in values) if v is not None]  # noqa: E731
        return cls(retailer_id=f.retailer_id, region_ids=list(f.region_ids), age_bands=list(f.age_bands),  # type: ignore[arg-type]
                   genders=list(f.genders), income_bands=list(f.income_bands), tiers=listed(ValueTier, f.tiers),
                   lifecycle_stages=listed(LifecycleStage, f.lifecycle_stages),
                   rfm_segments=listed(RfmSegment, f.rfm_segments), tags=list(f.tags),
                   channels=listed(Channel, f.channels), bought_product_ids=list(f.bought_product_ids),  # type: ignore[arg-type]
                   bought_category_ids=list(f.bought_category_ids), bought_from=f.bought_from,  # type: ignore[arg-type]
                   bought_to=f.bought_to, spend_min_minor=f.spend_min_minor, spend_max_minor=f.spend_max_minor)


@strawberry.input(description="Conditions of a segment; leave out what does not matter. Spend is purchases minus "
                              "returns in the last 365 days, in minor units; boughtFrom/boughtTo bound purchase "
                              "days [from, to) for boughtProductIds/boughtCategoryIds.")
class SegmentFilterInput:
    retailer_id: strawberry.ID | None = strawberry.field(default=None, description="Only this retailer's customers.")
    region_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Customers in any of these regions.")
    age_bands: list[str] | None = strawberry.field(default=None, description="Any of these age bands, e.g. 35-44.")
    genders: list[str] | None = strawberry.field(default=None, description="Any of these genders, as given.")
    income_bands: list[str] | None = strawberry.field(default=None, description="Any of these household income bands.")
    tiers: list[ValueTier] | None = strawberry.field(default=None, description="Any of these value tiers.")
    lifecycle_stages: list[LifecycleStage] | None = strawberry.field(default=None, description="Any of these lifecycle stages.")
    rfm_segments: list[RfmSegment] | None = strawberry.field(default=None, description="Any of these RFM segments.")
    tags: list[str] | None = strawberry.field(default=None, description="Customers carrying any of these tags.")
    channels: list[Channel] | None = strawberry.field(default=None, description=CHANNELS_USED)
    bought_product_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Customers who bought any of these products (within boughtFrom..boughtTo).")
    bought_category_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Customers who bought in any of these categories (within boughtFrom..boughtTo).")
    bought_from: date | None = strawberry.field(default=None, description="First purchase day counted for the bought* conditions (inclusive).")
    bought_to: date | None = strawberry.field(default=None, description="Day after the last purchase day counted for the bought* conditions (exclusive).")
    spend_min_minor: int | None = strawberry.field(default=None, description="Minimum spend over the last 365 days, minor units.")
    spend_max_minor: int | None = strawberry.field(default=None, description="Maximum spend over the last 365 days, minor units.")

    def to_filter(self) -> SegmentFilter:
        """The graph filter (raises graph.segments.FilterError on a bad value)."""
        raw: dict[str, Any] = {}
        for name in SegmentFilter.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, list):
                value = [v.value if isinstance(v, Enum) else str(v) for v in value]
            elif name == "retailer_id" and value is not None:
                value = str(value)
            raw[name] = value
        return SegmentFilter.from_dict(raw)


@strawberry.type(description="A saved, named segment and how many customers it holds (kept current).")
class Segment:
    id: strawberry.ID = strawberry.field(description="Segment id.")
    name: str = strawberry.field(description="Name given by its author.")
    filter: SegmentFilterView = strawberry.field(description="Its conditions.")
    member_count: int | None = strawberry.field(description="Members when last counted (every analytics run, "
                                                            "save, and customer refresh updates it).")
    counted_at: datetime | None = strawberry.field(description="When it was last counted (UTC).")
    created_at: datetime | None = strawberry.field(description="When it was created (UTC).")
    updated_at: datetime | None = strawberry.field(description="When it was last changed (UTC).")

    @classmethod
    def from_stored(cls, s: StoredSegment) -> "Segment":
        return cls(id=strawberry.ID(s.segment_id), name=s.name, filter=SegmentFilterView.from_filter(s.filter),
                   member_count=s.member_count, counted_at=s.counted_at, created_at=s.created_at,
                   updated_at=s.updated_at)


@strawberry.type(description="A product in an audience row: what was bought (and for gifts, for whom).")
class AudienceProduct:
    product_id: strawberry.ID = strawberry.field(description="Product id.")
    name: str | None = strawberry.field(description="Product name.")
    bought_at: datetime | None = strawberry.field(description="Latest purchase in the period (post-purchase care).")
    aimed_at: str | None = strawberry.field(description="Group the product is aimed at (gift buyers): children, "
                                                        "women or men.")


@strawberry.type(description="A customer in an audience or segment, reachable for the purpose asked, with the "
                             "facts that put them there. The full profile (and personal data, audited) is under "
                             "`customer`.")
class AudienceMember:
    id: strawberry.ID = strawberry.field(description="Customer id.")
    first_name: str | None = strawberry.field(description="Given name.")
    value_tier: ValueTier | None = strawberry.field(description="Value tier.")
    lifecycle_stage: LifecycleStage | None = strawberry.field(description="Lifecycle stage.")
    rfm_segment: RfmSegment | None = strawberry.field(description="RFM segment.")
    window_spend_minor: int | None = strawberry.field(description="Purchases minus returns, last 365 days.")
    granted_media: list[ConsentMedium] = strawberry.field(description="Media the customer granted for the purpose.")
    answer_channel: Channel | None = strawberry.field(description="Channel they answer on: stated preference, else "
                                                                  "the channel of most of their orders and events.")
    last_purchase_on: date | None = strawberry.field(description="Last purchase day (analytics figures); null before "
                                                                 "the first purchase or run, and in segment members.")
    next_birthday: date | None = strawberry.field(description="Next birthday (birthday audience).")
    products: list[AudienceProduct] = strawberry.field(description="Products that put them in the audience.")
    due_on: date | None = strawberry.field(description="When the consumable runs out (replenishment).")
    interval_days: float | None = strawberry.field(description="Their interval for that consumable.")
    stage_since: date | None = strawberry.field(description="Day their lifecycle stage last changed (analytics "
                                                            "figures); null before the first run, and in segment "
                                                            "members.")
    previous_stage: LifecycleStage | None = strawberry.field(description="Stage before the current one.")
    customer_ref: strawberry.Private[Any] = None

    @strawberry.field(description="The customer's profile (personal fields need a PII role and are audited).")
    def customer(self) -> Annotated["Customer", strawberry.lazy("api.types.customer")] | None:
        return self.customer_ref

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> "AudienceMember":
        row = {k: _native(v) for k, v in r.items()}
        products = [AudienceProduct(product_id=strawberry.ID(p["product_id"]), name=p.get("name"),
                                    bought_at=_native(p.get("bought_at")), aimed_at=p.get("aimed_at"))
                    for p in row.get("products") or row.get("gifts") or []]
        if row.get("product_id"):
            products.append(AudienceProduct(product_id=strawberry.ID(row["product_id"]),
                                            name=row.get("product_name"), bought_at=None, aimed_at=None))
        return cls(id=strawberry.ID(row["customer_id"]), first_name=row.get("first_name"),
                   value_tier=_enum(ValueTier, row.get("value_tier")),
                   lifecycle_stage=_enum(LifecycleStage, row.get("lifecycle_stage")),
                   rfm_segment=_enum(RfmSegment, row.get("rfm_segment")), window_spend_minor=row.get("spend_minor"),
                   granted_media=[m for m in (_enum(ConsentMedium, x) for x in row.get("granted_media") or [])
                                  if m is not None],
                   answer_channel=channel(row.get("answer_channel")), last_purchase_on=row.get("last_purchase_on"),
                   next_birthday=row.get("next_birthday"), products=products, due_on=row.get("due_on"),
                   interval_days=row.get("interval_days"), stage_since=row.get("stage_since"),
                   previous_stage=_enum(LifecycleStage, row.get("previous_stage")))


@strawberry.type(description="A page of audience members.")
class AudiencePage:
    nodes: list[AudienceMember] = strawberry.field(description="This page, in the audience's order.")
    offset: int = strawberry.field(description="Rows skipped before this page.")
    has_more: bool = strawberry.field(description="True when another page follows (ask with offset + first).")


@strawberry.type(description="A page of a segment's members, by customer id.")
class SegmentMemberPage:
    nodes: list[AudienceMember] = strawberry.field(description="This page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="True when another page follows.")


def member_cursor(customer_id: str) -> str:
    return base64.urlsafe_b64encode(f"member|{customer_id}".encode()).decode()


def parse_member_cursor(cursor: str) -> str:
    """The customer id in a cursor of member_cursor; BadInput naming `after` if it is not ours."""
    try:
        kind, customer_id = base64.b64decode(cursor, altchars=b"-_", validate=True).decode().split("|", 1)
    except ValueError:
        kind, customer_id = "", ""
    if kind != "member" or not customer_id:
        raise BadInput("after is not a cursor returned by this API.", field="after")
    return customer_id


@strawberry.type(description="What a filter selects now, without saving it.")
class SegmentPreview:
    count: int = strawberry.field(description="Customers matching the filter (consent not applied).")
    sample: list[AudienceMember] = strawberry.field(description="The first matching customers reachable for the "
                                                                "purpose, by id.")


@strawberry.type(description="Where the customer stands, from the last analytics run (`c360 analytics`) and the "
                             "refresh after each purchase recorded through the API.")
class CustomerAnalytics:
    """Fields added to Customer; they read `profile` (the Customer node's properties) and `customer_id`."""

    @strawberry.field(description="RFM scores and segment; null before the customer's first purchase or any run.")
    def rfm(self) -> Rfm | None:
        p = self.profile  # type: ignore[attr-defined]
        if p.get("rfm_r") is None:
            return None
        return Rfm(recency_days=p.get("rfm_recency_days"), frequency=int(p.get("rfm_frequency") or 0),
                   monetary=money(p.get("rfm_monetary_minor") or 0, p.get("currency")),  # type: ignore[arg-type]
                   r=int(p["rfm_r"]), f=int(p["rfm_f"]), m=int(p["rfm_m"]),
                   segment=_enum(RfmSegment, p.get("rfm_segment")), as_of=_native(p.get("figures_as_of")))

    @strawberry.field(description="Value tier (core: the customers bringing 80% of revenue); null before any run.")
    def value_tier(self) -> ValueTier | None:
        return _enum(ValueTier, self.profile.get("value_tier"))  # type: ignore[attr-defined]

    @strawberry.field(description="Lifecycle stage; null before the first purchase or any run.")
    def lifecycle_stage(self) -> LifecycleStage | None:
        return _enum(LifecycleStage, self.profile.get("lifecycle_stage"))  # type: ignore[attr-defined]

    @strawberry.field(description="Expected purchases and spend over the horizon (90 days by default); null when "
                                  "not predicted.")
    def predicted_value(self) -> PredictedValue | None:
        p = self.profile  # type: ignore[attr-defined]
        if p.get("expected_purchases") is None:
            return None
        return PredictedValue(expected_purchases=float(p["expected_purchases"]),
                              expected_spend=money(p.get("expected_spend_minor"), p.get("currency")),
                              horizon_days=int(p.get("prediction_horizon_days") or 90))

    @strawberry.field(description="Probability (0..1) that the customer has stopped buying (1 - P(alive), BG/NBD).")
    def churn_probability(self) -> float | None:
        value = self.profile.get("churn_probability")  # type: ignore[attr-defined]
        return None if value is None else float(value)

    @strawberry.field(description="Saved segments the customer is a member of, by name. Personal data (their "
                                  "filters tell gender, age, income): service_desk, integrator and admin only; every "
                                  "read is audited.", permission_classes=[CanReadPII])
    async def segments(self, info: strawberry.Info) -> list[Segment] | None:
        found = await segments_of_customers(info.context.graph, [self.customer_id])  # type: ignore[attr-defined]
        return [Segment.from_stored(s) for s in found.get(self.customer_id, [])]  # type: ignore[attr-defined]

    @strawberry.field(description="Consumables the customer buys regularly, soonest due first.")
    async def replenishment_due(self, info: strawberry.Info) -> list[ReplenishmentDue]:
        found = await replenishments_of_customers(info.context.graph, [self.customer_id])  # type: ignore[attr-defined]
        return [ReplenishmentDue.from_record(r) for r in found.get(self.customer_id, [])]  # type: ignore[attr-defined]
