"""Value tiers by Pareto share: core (top customers bringing 80% of revenue), middle (up to 95%), tail."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

TIERS = ("core", "middle", "tail")


@dataclass(frozen=True)
class TierCut:
    """Smallest revenue that still made core / middle in the last full run (for single-customer updates)."""

    core_min_minor: float
    middle_min_minor: float


@dataclass(frozen=True)
class TierShare:
    """What one tier holds: its customers and their revenue, as counts and shares of the retailer."""

    tier: str
    customers: int
    revenue_minor: int
    customer_share: float
    revenue_share: float


def tier_cut(revenue_minor: NDArray[np.float64], core_share: float, middle_share: float) -> TierCut:
    """Revenue thresholds: the customer whose revenue crosses each cumulative share is the tier's last member."""
    ranked = np.sort(revenue_minor[revenue_minor > 0])[::-1]
    if not len(ranked):
        return TierCut(np.inf, np.inf)
    cumulative = np.cumsum(ranked) / ranked.sum()
    def last_member(share: float) -> float:
        return float(ranked[min(int(np.searchsorted(cumulative, share - 1e-12, side="left")), len(ranked) - 1)])
    return TierCut(last_member(core_share), last_member(middle_share))


def tiers(revenue_minor: NDArray[np.float64], cut: TierCut) -> NDArray[np.str_]:
    """Tier name per customer; customers without revenue are tail."""
    return np.where((revenue_minor >= cut.core_min_minor) & (revenue_minor > 0), "core",
                    np.where((revenue_minor >= cut.middle_min_minor) & (revenue_minor > 0), "middle", "tail"))


def tier_shares(revenue_minor: NDArray[np.float64], tier_names: NDArray[np.str_]) -> list[TierShare]:
    """Customers and revenue each tier holds."""
    total_revenue = float(np.clip(revenue_minor, 0, None).sum()) or 1.0
    n = max(len(revenue_minor), 1)
    shares = []
    for tier in TIERS:
        mask = tier_names == tier
        revenue = int(np.clip(revenue_minor[mask], 0, None).sum())
        shares.append(TierShare(tier, int(mask.sum()), revenue, int(mask.sum()) / n, revenue / total_revenue))
    return shares
