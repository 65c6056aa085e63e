"""The shipped demo data (`c360 make-demo-data`): real complete_journey households plus generated omnichannel data.

Real (84.51° The Complete Journey, CC0): a fixed choice of households with demographics, all their
baskets and lines, the products they bought with category and brand, the stores they used and what those
stores sold them, the campaigns, coupons and redemptions that touched them, the last weeks' promotions.
Generated (seeded, invented): names, contact, birthdays, gender, identities, consents, store names,
formats and regions, web/app/kiosk orders and returns, events, service cases, a few second profiles.
Generated rows carry `gen-` in their ids. Same source, household count and seed: byte-identical files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.generate import FILE_ORDER, Generated, StepBar
from loaders.synthetic import demo_activity, demo_people, people
from loaders.synthetic.clock import Period
from loaders.synthetic.files import Table, write_table
from loaders.synthetic.journey import Journey, build_journey, choose_households, read_source

DEMO_FILES = (*FILE_ORDER[:7], "promotions", *FILE_ORDER[7:])
PERIOD = Period(date(2017, 1, 1), 365, "America/New_York")   # complete_journey's (relabelled) year
FORMATS = ("hypermarket", "supermarket", "express")            # by baskets in the full data: top 20%, next 50%
REGIONS = ("North", "South", "East", "West", "Central")


def build_demo_data(source: Path, folder: Path, *, households: int = 250, seed: int = 0,
                    progress: bool = True) -> Generated:
    """Write `folder/<kind>.csv.gz` (canonical format) for `households` households of `source`."""
    began = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    with StepBar(progress, 5 + len(DEMO_FILES)) as step:
        step("reading complete_journey")
        src = read_source(source)
        step("choosing households")
        journey = build_journey(src, choose_households(src, households))
        del src
        tables = _generate(np.random.default_rng(seed), journey, step)
        rows = {}
        for name in DEMO_FILES:
            step(f"writing {name}.csv.gz")
            rows[name] = write_table(folder, name, tables.pop(name), compression=9)
    sizes = {name: (folder / f"{name}.csv.gz").stat().st_size for name in DEMO_FILES}
    return Generated(folder, rows, sizes, time.perf_counter() - began)


def _generate(rng: np.random.Generator, journey: Journey, step: Callable[[str], None]) -> dict[str, Table]:
    """The journey's tables plus everything generated on top of them."""
    step("people, identities and consents")
    tables = dict(journey.tables)
    stores, kiosk, store_tables = _stores(rng, journey)
    tables.update(store_tables)
    pop = demo_people.population(rng, journey, PERIOD, stores)
    tables["identities"] = demo_people.identities(rng, pop, PERIOD)
    tables["consents"] = people.consents(rng, pop, PERIOD)[0]
    step("web, app and kiosk orders and events")
    shop = demo_activity.shop(journey, pop, stores, kiosk, PERIOD)
    orders, lines = demo_activity.online_orders(rng, pop, shop, PERIOD)
    tables["events"] = demo_activity.events(rng, pop, shop, orders, lines, PERIOD)
    step("service cases and profiles")
    tables.update(demo_activity.service_cases(rng, pop, orders, journey.tables["orders"], PERIOD))
    generated = demo_activity.order_tables(orders, lines, pop, shop, PERIOD)
    spend = _spend(journey, pop, lines.merge(orders[["number", "person"]], on="number"))
    tables["customers"] = demo_people.customers(rng, pop, journey, stores, spend, PERIOD)
    for name in ("orders", "order_lines"):
        tables[name] = _concat(journey.tables[name], generated[name])
    return tables


def _stores(rng: np.random.Generator, journey: Journey) -> tuple[list[str], np.ndarray, dict[str, Table]]:
    """The stores the households used, with generated names, formats (by real basket counts) and regions."""
    used = np.sort(journey.lines["store_id"].unique())
    baskets = journey.store_sales.reindex(used).fillna(0).to_numpy()
    share = np.argsort(np.argsort(-baskets, kind="stable"), kind="stable") / max(len(used), 1)
    form = np.where(share < 0.2, 0, np.where(share < 0.7, 1, 2))
    region = rng.integers(0, len(REGIONS), len(used))
    ids = [f"cj:{s}" for s in used.tolist()]
    return ids, form < 2, {
        "regions": {"region_id": [f"cj:gen-R{i + 1}" for i in range(len(REGIONS))], "name": list(REGIONS)},
        "stores": {"store_id": ids, "retailer_id": ["cj"] * len(ids),
                   "name": [f"Store {s} ({FORMATS[f]})" for s, f in zip(used.tolist(), form.tolist())],
                   "format": [FORMATS[f] for f in form.tolist()],
                   "region_id": [f"cj:gen-R{r + 1}" for r in region.tolist()]},
    }


def _spend(journey: Journey, pop: people.Population, online: pd.DataFrame) -> np.ndarray:
    """Net amount paid per person in minor units: real baskets plus generated orders."""
    real = (journey.lines.groupby("household_id")["sales_value"].sum() * 100).round()
    person_of = {c: i for i, c in enumerate(pop.customer_ids)}
    spend = np.zeros(len(pop), dtype=np.int64)
    for household, amount in real.items():
        spend[person_of[f"cj:{household}"]] += int(amount)
    np.add.at(spend, online["person"].to_numpy(dtype=np.int64), online["amount"].to_numpy(dtype=np.int64))
    return spend


def _concat(first: Table, second: Table) -> Table:
    """Rows of `second` after those of `first` (same columns)."""
    return {column: _as_list(first[column]) + _as_list(second[column]) for column in first}


def _as_list(values: Sequence[object] | np.ndarray) -> list[object]:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)
