"""`c360 evaluate`'s printed tables (pure logic): every figure whole in an 80-column terminal and in a log."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from c360.commands import evaluate
from c360.terminal import LOG_WIDTH, console
from recsys.comparison import METHODS, Report, Versus
from recsys.evaluate import METRICS, Difference


def _report() -> Report:
    report = Report(cut="2017-11-01T00:00:00+00:00", period_days=28)
    for protocol in ("next_basket", "next_period"):
        report.customers[protocol] = {"all": 2_469, "new": 1_800}
        report.results[protocol] = {mode: {m: {k: dict.fromkeys(METRICS, 0.2219 + k / 10_000) for k in (10, 20)}
                                           for m in METHODS} for mode in ("all", "new")}
        report.versus[protocol] = {mode: Versus("tifu_knn", Difference(-0.001, -0.003, 0.001))
                                   for mode in ("all", "new")}
    report.chosen = {m: {"all": "-", "new": "-"} for m in METHODS}
    return report


def test_the_tables_fit_an_80_column_terminal_with_every_figure_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    printed = io.StringIO()
    monkeypatch.setattr(evaluate, "out", Console(file=printed, width=80))
    evaluate._show(_report())
    text = printed.getvalue()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    assert text.count("0.2229") == 4 * len(METHODS) * len(METRICS)      # k = 10, each table, method and metric
    assert text.count("personal_top_frequency") >= 8


def test_a_log_or_pipe_gets_wide_lines_unless_columns_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert console().width == LOG_WIDTH          # pytest captures stdout: not a terminal
    monkeypatch.setenv("COLUMNS", "100")
    assert console().width == 100
