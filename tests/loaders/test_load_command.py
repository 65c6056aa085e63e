"""`c360 load ...` through the command line: plain messages and a non-zero exit when a load is meaningless."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from c360.cli import main
from c360.connect import Targets
from graph.driver import Graph


@pytest.fixture
def configured(targets: Targets, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line pointed at the test services."""
    monkeypatch.setenv("NEO4J_URI", targets.neo4j_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", targets.neo4j_password or "")
    monkeypatch.setenv("REDIS_URL", targets.redis_url)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["load", *argv, "--no-progress"])
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())


@pytest.mark.usefixtures("configured")
def test_a_missing_file_exits_non_zero_with_a_plain_message(graph: Graph, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, said = run(capsys, "online-retail", str(tmp_path))
    assert code == 2
    assert "load failed" in said and "online_retail.csv.gz (or online_retail.csv) not found" in said
    assert "Traceback" not in said

    code, said = run(capsys, "complete-journey", str(tmp_path))
    assert code == 2 and "not found" in said


@pytest.mark.usefixtures("configured")
def test_a_wrong_header_exits_non_zero_and_names_the_missing_columns(graph: Graph, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with gzip.open(tmp_path / "online_retail.csv.gz", "wt") as f:
        f.write("Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n")
    code, said = run(capsys, "online-retail", str(tmp_path))
    assert code == 2
    assert "header lacks required column(s) InvoiceNo, UnitPrice, CustomerID" in said
    assert graph.read("MATCH (o:Order) RETURN count(o) AS n")[0]["n"] == 0


@pytest.mark.usefixtures("configured")
def test_a_good_load_prints_its_summary_and_exits_zero(graph: Graph, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "online_retail.csv").write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,x,2010-12-01 08:26:00,3.39,17850,United Kingdom\n")
    code, said = run(capsys, "online-retail", str(tmp_path), "--rejects", str(tmp_path / "rejects"))
    assert code == 0
    assert "load summary" in said and "1 rejected row(s)" in said
    assert (tmp_path / "rejects" / "online_retail.rejects.csv").exists()
