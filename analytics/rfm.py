"""RFM: recency, frequency and monetary value scored 1-5 by quintile within a retailer, and segment names.

Scores compare a customer with the quintile boundaries (20th, 40th, 60th, 80th percentile) of the
retailer's customers who bought at least once: 5 is best (most recent, most frequent, highest spend).
Equal values always get the same score, so with many ties a score can hold more than a fifth.

The segment comes from R and the combined FM score (the rounded-up mean of F and M) on the usual
retail grid:

    R \\ FM   1                2                3                4                5
    5        new              potential        potential        champions        champions
                              loyalist         loyalist
    4        promising        potential        potential        loyal            loyal
                              loyalist         loyalist
    3        about to sleep   about to sleep   need attention   loyal            loyal
    2        hibernating      hibernating      at risk          at risk          can't lose
    1        lost             hibernating      at risk          at risk          can't lose
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

QUINTILES = (0.2, 0.4, 0.6, 0.8)

SEGMENTS = ("champions", "loyal", "potential_loyalist", "new", "promising", "need_attention",
            "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost")

_GRID = {  # (R, FM) -> segment
    **{(5, fm): s for fm, s in zip(range(1, 6), ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"))},
    **{(4, fm): s for fm, s in zip(range(1, 6), ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"))},
    **{(3, fm): s for fm, s in zip(range(1, 6), ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"))},
    **{(2, fm): s for fm, s in zip(range(1, 6), ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"))},
    **{(1, fm): s for fm, s in zip(range(1, 6), ("lost", "hibernating", "at_risk", "at_risk", "cant_lose"))},
}


@dataclass(frozen=True)
class RfmBoundaries:
    """Quintile boundaries of one retailer, kept from the last full run for single-customer updates."""

    recency_days: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary_minor: tuple[float, ...]


def boundaries(recency_days: NDArray[np.float64], frequency: NDArray[np.float64],
               monetary_minor: NDArray[np.float64]) -> RfmBoundaries:
    """Quintile boundaries of each measure (over customers who bought at least once)."""
    def cuts(values: NDArray[np.float64]) -> tuple[float, ...]:
        return tuple(float(v) for v in np.quantile(values, QUINTILES)) if len(values) else (0.0,) * 4
    return RfmBoundaries(cuts(recency_days), cuts(frequency), cuts(monetary_minor))


def higher_is_better(values: NDArray[np.float64], cuts: tuple[float, ...]) -> NDArray[np.int64]:
    """1 + the number of boundaries strictly below each value."""
    return 1 + np.searchsorted(np.asarray(cuts), values, side="left")


def lower_is_better(values: NDArray[np.float64], cuts: tuple[float, ...]) -> NDArray[np.int64]:
    """5 - the number of boundaries strictly below each value (recency: fewer days is better)."""
    return 5 - np.searchsorted(np.asarray(cuts), values, side="left")


def scores(b: RfmBoundaries, recency_days: NDArray[np.float64], frequency: NDArray[np.float64],
           monetary_minor: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(R, F, M) scores 1-5."""
    return (lower_is_better(recency_days, b.recency_days), higher_is_better(frequency, b.frequency),
            higher_is_better(monetary_minor, b.monetary_minor))


def segment(r: int, f: int, m: int) -> str:
    """Segment name from the three scores (see the grid in this module's docstring)."""
    return _GRID[(int(r), -(-(int(f) + int(m)) // 2))]
