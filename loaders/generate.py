"""A synthetic omnichannel retailer ("gen", EUR, Europe/Amsterdam) as canonical import files.

Pure: no graph access. The same customer count, seed and period give byte-identical files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from loaders.synthetic import engagement, orders, people
from loaders.synthetic.catalogue import build_catalogue
from loaders.synthetic.clock import Period
from loaders.synthetic.files import Table, write_table

START = date(2025, 1, 1)
TIMEZONE = "Europe/Amsterdam"
FILE_ORDER = ("retailers", "regions", "stores", "categories", "brands", "products", "store_products", "customers",
              "identities", "consents", "orders", "order_lines", "events", "service_cases", "service_notes",
              "campaigns", "campaign_recipients", "coupons", "coupon_redemptions")


@dataclass(frozen=True)
class Generated:
    """What `generate_retailer` wrote: rows per file, bytes per file, and how long it took."""

    folder: Path
    rows: dict[str, int]
    sizes: dict[str, int]
    seconds: float


def generate_retailer(folder: Path, customers: int, seed: int, *, days: int = 365,
                      progress: bool = True) -> Generated:
    """Write `folder/<kind>.csv.gz` for `customers` profiles over `days` days from 2025-01-01."""
    if customers < 1 or days < 30:
        raise ValueError(f"need at least 1 customer and 30 days (got {customers} customers, {days} days)")
    began = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    with StepBar(progress, 6 + len(FILE_ORDER)) as step:
        tables = _build(np.random.default_rng(seed), customers, Period(START, days, TIMEZONE), step)
        rows = {}
        for name in FILE_ORDER:
            step(f"writing {name}.csv.gz")
            rows[name] = write_table(folder, name, tables.pop(name))
    sizes = {name: (folder / f"{name}.csv.gz").stat().st_size for name in FILE_ORDER}
    return Generated(folder, rows, sizes, time.perf_counter() - began)


def _build(rng: np.random.Generator, customers: int, period: Period,
           step: Callable[[str], None]) -> dict[str, Table]:
    step("catalogue and stores")
    catalogue = build_catalogue(rng, customers)
    step("customers, identities and consents")
    pop = people.build_population(rng, customers, catalogue, period)
    tables = dict(catalogue.tables, identities=people.identities(rng, pop, period))
    tables["consents"], may_market = people.consents(rng, pop, period)
    step("baskets and lines")
    baskets = orders.build_baskets(rng, pop, catalogue, period)
    step("campaigns and coupons")
    tables.update(engagement.campaigns(rng, pop, catalogue, baskets, period, may_market))
    step("web, app and kiosk events")
    tables["events"] = engagement.events(rng, pop, catalogue, baskets, period)
    step("service cases")
    tables.update(engagement.service_cases(rng, pop, baskets, period))
    spend = orders.spend_by_customer(baskets, len(pop))
    tables["customers"] = people.customers(rng, pop, catalogue, period, spend)
    tables.update(orders.tables(baskets, pop, catalogue, period))
    return tables


class StepBar:
    """A rich progress bar advanced one named step at a time (silent when `show` is false)."""

    def __init__(self, show: bool, total: int) -> None:
        self.progress = Progress(TextColumn("{task.description:<36}"), BarColumn(), TimeElapsedColumn(),
                                 disable=not show)
        self.task = self.progress.add_task("generating", total=total)
        self.started = False

    def __enter__(self) -> Callable[[str], None]:
        self.progress.start()
        return self.step

    def __exit__(self, *exc: object) -> None:
        self.progress.update(self.task, completed=self.progress.tasks[0].total, description="done")
        self.progress.stop()

    def step(self, description: str) -> None:
        self.progress.update(self.task, advance=1 if self.started else 0, description=description)
        self.started = True
