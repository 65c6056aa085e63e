"""`c360 analytics`: thresholds from the command line, a full run that says what it did, and the time-split check."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from c360.cli import main
from c360.commands.analytics import config_from
from c360.connect import Targets
from graph import segments
from graph.driver import Graph


def test_thresholds_are_set_by_name_with_their_type() -> None:
    config = config_from(["at_risk_ratio=2.5", "new_days=14"])
    assert (config.at_risk_ratio, config.new_days, config.dormant_ratio) == (2.5, 14, 5.0)
    with pytest.raises(ValueError, match="at_risk"):
        config_from(["at_risk=2"])
    with pytest.raises(ValueError, match="new_days must be a int"):
        config_from(["new_days=soon"])


@pytest.fixture
def configured(targets: Targets, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point `c360` at the test services."""
    monkeypatch.setenv("NEO4J_URI", targets.neo4j_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", targets.neo4j_password or "")
    monkeypatch.setenv("REDIS_URL", targets.redis_url)


def test_the_command_recomputes_and_prints_tier_shares(graph: Graph, shop: Any, configured: None,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # given two customers, one bringing 90% of revenue, and twelve more small buyers
    today = date(2024, 6, 30)
    shop.customer("big")
    shop.order("big", today - timedelta(days=3), "900.00")
    for i in range(12):
        shop.customer(f"s{i}")
        for k in range(3):
            shop.order(f"s{i}", today - timedelta(days=5 + i + 20 * k), "2.50")
    shop.load(graph)
    # when
    code = main(["analytics", "--as-of", "2024-06-30", "--no-progress"])
    # then
    printed = capsys.readouterr().out
    assert code == 0
    assert "retailer r1: 13 customers as of 2024-06-30" in printed
    assert "│ core   │         1 │" in printed and "90.9%" in printed  # big alone holds 900 of 990
    assert "wrote figures of 13 customers of 1 retailer(s)" in printed
    assert main(["analytics", "--check", "30", "--no-progress"]) == 0
    checked = capsys.readouterr().out  # the split: 30 days before the last order (big, 2024-06-27)
    assert "12 customers, fit up to 2024-05-28, next 30 days" in checked and "naive" in checked


def test_a_segment_is_exported_as_csv_without_who_withdrew(graph: Graph, shop: Any, configured: None,
                                                            tmp_path: Any) -> None:
    # given a segment of two tagged customers: one withdrew e-mail marketing, the other granted it
    shop.customer("a1", first_name="Ann", email="ann@example.com", tags="vip")
    shop.customer("b2", first_name="Bo, Jr", email="bo@example.com", tags="vip")
    shop.consent("a1", "marketing", "email", False)
    shop.consent("b2", "marketing", "email", True)
    shop.load(graph)
    saved = segments.save_segment(graph, "VIP", segments.SegmentFilter(tags=["vip"]))
    out = tmp_path / "vip.csv"
    # when
    assert main(["analytics", "--export-segment", saved.segment_id, "--out", str(out), "--medium", "email"]) == 0
    # then
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("customer_id,retailer_id,first_name,last_name,email")
    assert lines[1:] == ['b2,r1,"Bo, Jr",,bo@example.com,,,,,']      # no analytics run yet: no figures
