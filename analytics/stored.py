"""A RetailerModel as flat node properties and back (the RetailerFigures node)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timezone
from typing import Any

from analytics.btyd import BgNbd, GammaGamma
from analytics.config import AnalyticsConfig
from analytics.figures import RetailerModel
from analytics.rfm import RfmBoundaries
from analytics.tiers import TierCut, TierShare


def to_properties(model: RetailerModel, customers: int) -> dict[str, Any]:
    """Flat properties; lists of floats for boundaries and parameters, JSON for the rest."""
    return {
        "as_of": model.as_of, "computed_at": datetime.now(timezone.utc), "customers": customers,
        "config_json": model.config.to_json(),
        "rfm_recency_days": list(model.rfm.recency_days), "rfm_frequency": list(model.rfm.frequency),
        "rfm_monetary_minor": list(model.rfm.monetary_minor),
        "core_min_minor": _finite(model.tier_cut.core_min_minor),
        "middle_min_minor": _finite(model.tier_cut.middle_min_minor),
        "rhythm_days": model.rhythm_days,
        "bgnbd": [model.bgnbd.r, model.bgnbd.alpha, model.bgnbd.a, model.bgnbd.b] if model.bgnbd else None,
        "gamma_gamma": [model.gamma_gamma.p, model.gamma_gamma.q, model.gamma_gamma.gamma] if model.gamma_gamma else None,
        "tier_shares_json": json.dumps([asdict(s) for s in model.tier_shares]),
    }


def from_properties(retailer_id: str, p: dict[str, Any]) -> RetailerModel:
    """The model a full run stored."""
    as_of = p["as_of"].to_native() if hasattr(p["as_of"], "to_native") else p["as_of"]
    return RetailerModel(
        retailer_id=retailer_id, as_of=as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of)),
        config=AnalyticsConfig.from_json(p.get("config_json")),
        rfm=RfmBoundaries(tuple(p["rfm_recency_days"]), tuple(p["rfm_frequency"]), tuple(p["rfm_monetary_minor"])),
        tier_cut=TierCut(_infinite(p.get("core_min_minor")), _infinite(p.get("middle_min_minor"))),
        rhythm_days=float(p["rhythm_days"]),
        bgnbd=BgNbd(*p["bgnbd"]) if p.get("bgnbd") else None,
        gamma_gamma=GammaGamma(*p["gamma_gamma"]) if p.get("gamma_gamma") else None,
        tier_shares=tuple(TierShare(**s) for s in json.loads(p.get("tier_shares_json") or "[]")),
    )


def _finite(value: float) -> float | None:
    return None if value == float("inf") else value


def _infinite(value: float | None) -> float:
    return float("inf") if value is None else float(value)
