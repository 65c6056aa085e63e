"""What parsing a canonical row needs to know beyond the row: the retailers and their time zones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loaders.rows import Rejected, need


@dataclass
class Context:
    """Time zones by retailer; naive times of rows without a retailer use `default_zone`."""

    zones: dict[str, tzinfo] = field(default_factory=dict)
    default_zone: tzinfo = UTC

    def add_retailer(self, retailer_id: str, timezone: str | None) -> None:
        zone = zone_named(timezone) if timezone else UTC
        if not self.zones:
            self.default_zone = zone
        self.zones[retailer_id] = zone

    def zone(self, retailer_id: str | None = None) -> tzinfo:
        return self.zones.get(retailer_id or "", self.default_zone)

    def retailer(self, row: dict[str, str]) -> str:
        """The row's retailer_id, which the graph or this load's retailers.csv must hold: a store, product, customer,
        order or campaign of no retailer has no currency, time zone or assortment."""
        retailer_id = need(row, "retailer_id")
        if retailer_id not in self.zones:
            raise Rejected("retailer_id", f"unknown retailer {retailer_id!r}: add it to retailers.csv")
        return retailer_id


def zone_named(name: str) -> tzinfo:
    """An IANA time zone, or a Rejected naming the bad value."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Rejected("timezone", f"{name!r} is not an IANA time zone") from None
