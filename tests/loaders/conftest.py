from __future__ import annotations

import csv
import gzip
import itertools
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graph import orders as graph_orders
from graph.admin import delete_everything, label_counts
from graph.census import fingerprint
from graph.driver import Graph
from loaders.report import LoadSummary

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A copy of the hand-made canonical folder (one retailer, every kind of file)."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


@pytest.fixture
def rejects_dir(tmp_path: Path) -> Path:
    return tmp_path / "rejects"


def _rows(path: Path) -> Iterator[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.reader(f)


def _write(path: Path, rows: Iterable[list[str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


# Source lines (1-based, the header is line 1) of the online_retail subset: the first 12,000 rows, a stretch
# where invoice 542806 is interrupted by another invoice, and the three A (bad debt) invoices.
RETAIL_SUBSET = (range(2, 12_002), range(78_080, 78_130))
BAD_DEBT_INVOICES = {"A563185", "A563186", "A563187"}


@pytest.fixture(scope="session")
def online_retail_subset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a 12,053-row online_retail.csv.gz cut from the real file (see RETAIL_SUBSET)."""
    folder = tmp_path_factory.mktemp("online_retail")
    wanted = set().union(*map(set, RETAIL_SUBSET))
    rows = (row for line, row in enumerate(_rows(shared_data / "online_retail" / "online_retail.csv.gz"), 1)
            if line == 1 or line in wanted or row[0] in BAD_DEBT_INVOICES)
    _write(folder / "online_retail.csv.gz", rows)
    return folder


JOURNEY_LINES = 5_000   # transaction lines in the complete_journey subset


@pytest.fixture(scope="session")
def complete_journey_subset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every complete_journey file cut down to the first 5,000 transaction lines and what they refer to."""
    source, folder = shared_data / "complete_journey", tmp_path_factory.mktemp("complete_journey")
    transactions = list(itertools.islice(_rows(source / "transactions.csv.gz"), JOURNEY_LINES + 1))
    _write(folder / "transactions.csv.gz", transactions)
    households = {row[0] for row in transactions[1:]}
    stores = {row[1] for row in transactions[1:]}
    sold = {row[3] for row in transactions[1:]}
    demographics = list(_rows(source / "demographics.csv.gz"))
    _write(folder / "demographics.csv.gz", demographics)
    households |= {row[0] for row in demographics[1:]}
    catalogue = [r for i, r in enumerate(_rows(source / "products.csv.gz")) if i <= 200 or r[0] in sold]
    _write(folder / "products.csv.gz", catalogue)
    products = sold | {row[0] for row in catalogue}
    _write(folder / "campaign_descriptions.csv.gz", _rows(source / "campaign_descriptions.csv.gz"))
    _write(folder / "campaigns.csv.gz", (r for i, r in enumerate(_rows(source / "campaigns.csv.gz"))
                                         if i == 0 or r[1] in households))
    coupons = list(itertools.islice(_rows(source / "coupons.csv.gz"), 1_001))
    _write(folder / "coupons.csv.gz", coupons)
    upcs = {row[0] for row in coupons}
    _write(folder / "coupon_redemptions.csv.gz", (r for i, r in enumerate(_rows(source / "coupon_redemptions.csv.gz"))
                                                  if i == 0 or (r[0] in households and r[1] in upcs)))
    promotions = (r for i, r in enumerate(_rows(source / "promotions_sample.csv.gz"))
                  if i == 0 or (r[1] in stores and r[0] in products))
    _write(folder / "promotions_sample.csv.gz", itertools.islice(promotions, 1_001))
    return folder


class Interrupted(Exception):
    """Stands for the process being killed between two transactions."""


def interrupt_then_rerun(graph: Graph, load_dir: Callable[..., Any], folder: Path,
                         monkeypatch: pytest.MonkeyPatch) -> int:
    """Load `folder` with the process dying at the third batch of orders, then load it again (undoing every
    patch first); returns how many orders the interrupted run had left in the graph."""
    real, calls = graph_orders.create_orders_with_lines, []

    def dies_on_the_third_batch(g: Graph, rows: list[dict[str, Any]]) -> int:
        calls.append(len(rows))
        if len(calls) == 3:
            raise Interrupted
        return real(g, rows)
    monkeypatch.setattr(graph_orders, "create_orders_with_lines", dies_on_the_third_batch)
    with pytest.raises(Interrupted):
        load_dir(graph, folder, progress=False)
    left = label_counts(graph)["Order"]
    monkeypatch.undo()
    load_dir(graph, folder, progress=False)
    return left


@dataclass(frozen=True)
class Loaded:
    graph: Graph
    summary: LoadSummary
    fingerprint: str


def load_into_empty(graph: Graph, load_dir: Callable[..., LoadSummary], folder: Path, rejects_dir: Path) -> Loaded:
    """`folder` loaded into the emptied graph, with the summary and the graph's fingerprint afterwards."""
    delete_everything(graph)
    summary = load_dir(graph, folder, rejects_dir=rejects_dir, progress=False)
    return Loaded(graph, summary, fingerprint(graph))
