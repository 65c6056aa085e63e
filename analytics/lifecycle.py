"""Lifecycle stages relative to each customer's own purchase rhythm.

rhythm   = median days between a customer's distinct purchase days (the retailer's median rhythm when the
           customer has fewer than `min_intervals` intervals)
silence  = days from the last purchase to the as-of date
at risk  when silence >= max(at_risk_ratio x rhythm, at_risk_min_days); dormant and churned alike
new      first purchase within `new_days` and not at risk
reactivated  not at risk, and the gap before the last purchase reached the dormant threshold
active   everyone else who is not at risk
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

import numpy as np

from analytics.config import AnalyticsConfig

STAGES = ("new", "active", "at_risk", "dormant", "churned", "reactivated")


@dataclass(frozen=True)
class Thresholds:
    """Silent days at which a customer turns at risk, dormant and churned."""

    at_risk_days: float
    dormant_days: float
    churned_days: float


def rhythm_days(purchase_days: list[int], retailer_rhythm: float, config: AnalyticsConfig) -> float:
    """Median interval between distinct purchase days (day numbers), or the retailer's rhythm if too few."""
    days = sorted(set(purchase_days))
    intervals = [b - a for a, b in zip(days, days[1:])]
    return float(median(intervals)) if len(intervals) >= config.min_intervals else retailer_rhythm


def thresholds(rhythm: float, config: AnalyticsConfig) -> Thresholds:
    """Per-customer thresholds: a ratio of the rhythm, never below the configured floor."""
    return Thresholds(max(config.at_risk_ratio * rhythm, config.at_risk_min_days),
                      max(config.dormant_ratio * rhythm, config.dormant_min_days),
                      max(config.churned_ratio * rhythm, config.churned_min_days))


def stage(purchase_days: list[int], today: int, rhythm: float, config: AnalyticsConfig) -> str | None:
    """Lifecycle stage on day number `today`; None for a customer who never bought."""
    if not purchase_days:
        return None
    days = sorted(set(purchase_days))
    limits = thresholds(rhythm, config)
    silence = today - int(days[-1])
    if silence >= limits.churned_days:
        return "churned"
    if silence >= limits.dormant_days:
        return "dormant"
    if silence >= limits.at_risk_days:
        return "at_risk"
    if today - int(days[0]) < config.new_days:
        return "new"
    if len(days) >= 2 and days[-1] - days[-2] >= limits.dormant_days:
        return "reactivated"
    return "active"


def retailer_rhythm(rhythms: list[float], default: float = 30.0) -> float:
    """Median of the personal rhythms of customers with enough intervals."""
    return float(np.median(rhythms)) if rhythms else default
