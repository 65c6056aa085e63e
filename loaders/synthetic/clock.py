"""The generated period in the retailer's local time, and its conversion to ISO 8601 text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

DAY = 86_400


@dataclass(frozen=True)
class Period:
    """`days` days from local midnight of `start` in `timezone`; times are local seconds since then."""

    start: date
    days: int
    timezone: str

    @property
    def length(self) -> int:
        """Local seconds from the start to the end of the period."""
        return self.days * DAY

    def iso(self, local_seconds: np.ndarray) -> list[str]:
        """ISO 8601 UTC text (`+00:00`) of local times, daylight saving applied per local day."""
        days = np.floor_divide(local_seconds, DAY)
        unique_days, inverse = np.unique(days, return_inverse=True)
        offsets = np.array([self._utc_offset(int(d)) for d in unique_days], dtype=np.int64)
        utc = self._epoch() + local_seconds.astype(np.int64) - offsets[inverse.reshape(-1)]
        text = np.datetime_as_string(utc.astype("datetime64[s]"), unit="s")
        return np.char.add(text, "+00:00").tolist()  # type: ignore[no-any-return]

    def dates(self, local_seconds: np.ndarray) -> list[str]:
        """Local calendar dates `YYYY-MM-DD` of local times."""
        local = (self._epoch() + local_seconds.astype(np.int64)).astype("datetime64[s]")
        return np.datetime_as_string(local.astype("datetime64[D]"), unit="D").tolist()  # type: ignore[no-any-return]

    def _epoch(self) -> int:
        return int(datetime(self.start.year, self.start.month, self.start.day).timestamp()
                   - datetime(1970, 1, 1).timestamp())

    def _utc_offset(self, day: int) -> int:
        noon = datetime(self.start.year, self.start.month, self.start.day, 12) + timedelta(days=day)
        offset = noon.replace(tzinfo=ZoneInfo(self.timezone)).utcoffset()
        return int(offset.total_seconds()) if offset else 0
