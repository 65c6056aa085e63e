"""Order times to the retailer's calendar days (pure logic)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from graph.analytics import LocalDays, _split

EPOCH = date(1970, 1, 1).toordinal()


def day_of(at: datetime, zone: str) -> date:
    return date.fromordinal(EPOCH + LocalDays(zone)(int(at.timestamp())))


def test_days_follow_the_zone_and_its_summer_time() -> None:
    late = datetime(2024, 7, 1, 22, 30, tzinfo=timezone.utc)          # 00:30 on 2 July in Amsterdam (UTC+2)
    assert (day_of(late, "UTC"), day_of(late, "Europe/Amsterdam")) == (date(2024, 7, 1), date(2024, 7, 2))
    winter = datetime(2024, 1, 1, 22, 30, tzinfo=timezone.utc)        # 23:30 in Amsterdam (UTC+1)
    assert day_of(winter, "Europe/Amsterdam") == date(2024, 1, 1)
    assert day_of(datetime(2024, 1, 1, 3, tzinfo=timezone.utc), "America/Chicago") == date(2023, 12, 31)


def test_split_keeps_consumables_bought_on_enough_distinct_days() -> None:
    noon = lambda d: int(datetime(2024, 5, d, 12, tzinfo=timezone.utc).timestamp())  # noqa: E731
    rows = [[noon(1), False, 100, ["milk", "tea"]], [noon(1), False, 50, ["milk"]], [noon(8), False, 80, ["milk"]],
            [noon(15), False, 90, ["milk", "tea"]], [noon(20), True, -10, []]]
    orders, consumables = _split(rows, LocalDays("UTC"), 3)
    first = date(2024, 5, 1).toordinal() - EPOCH
    assert orders[0] == [first, False, 100] and orders[-1] == [first + 19, True, -10]
    assert consumables == [["milk", [first, first + 7, first + 14]]]   # tea: two days only
