"""Thresholds of every figure, in one dataclass; the full run stores the ones it used with the retailer."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class AnalyticsConfig:
    """What the figures mean; defaults are documented in README.md (Analytics)."""

    window_days: int = 365             # frequency and monetary value count purchases in this window
    core_share: float = 0.80           # core tier: top customers bringing this share of revenue
    middle_share: float = 0.95         # middle tier: the next ones up to this cumulative share
    new_days: int = 30                 # a first purchase this recent makes a customer "new"
    at_risk_ratio: float = 2.0         # silence over this many own purchase intervals: at risk
    dormant_ratio: float = 5.0         # ... dormant
    churned_ratio: float = 10.0        # ... churned
    at_risk_min_days: int = 14         # never at risk before this many silent days
    dormant_min_days: int = 45
    churned_min_days: int = 120
    min_intervals: int = 2             # fewer own intervals than this: use the retailer's median rhythm
    horizon_days: int = 90             # predicted purchases and spend look this far ahead
    replenish_min_purchases: int = 3   # purchase days of a consumable needed to learn its interval

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "AnalyticsConfig":
        """The stored config; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(text or "{}").items() if k in known})
