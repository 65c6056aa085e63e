"""Interactions: read once (graph or canonical files) into a table, then weigh into a CSR matrix.

The table is a pandas DataFrame with one row per order line or product event:
customer_id, product_id, basket_id (the order or event it comes from: its id, or from the graph reader a number per
order and event, as only equality matters), at (epoch seconds, int64), kind (purchase|return|view|cart|wishlist),
store_id, channel_id. Only purchases' stores and channels are used (store and channel popularity, home stores), and
the graph reader leaves them out for events other than purchases.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from graph.driver import Graph
from graph.interactions import Interactions, stream_interactions

DAY_S = 86_400
COLUMNS = ("customer_id", "product_id", "basket_id", "at", "kind", "store_id", "channel_id")
EVENT_KINDS = ["view", "cart", "wishlist", "purchase", "return"]  # events that are about a product


@dataclass(frozen=True)
class InteractionSettings:
    """How interactions become matrix weights.

    weights: per kind, added once per basket (a product bought twice in one order counts once);
        a return subtracts, and a customer x product weight never goes below zero.
    half_life_days: an interaction this old counts half (0 = no recency decay).
    """

    weights: dict[str, float] = field(default_factory=lambda: {
        "purchase": 1.0, "cart": 0.3, "wishlist": 0.3, "view": 0.1, "return": -1.0})
    half_life_days: float = 120.0


@dataclass(frozen=True)
class IdMaps:
    """Row and column ids of a customer x product matrix."""

    customer_ids: np.ndarray
    product_ids: np.ndarray

    def customer_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.customer_ids.tolist())}

    def product_index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.product_ids.tolist())}


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "at" else "object") for c in COLUMNS})


def from_graph(graph: Graph, retailer_id: str, before: datetime, readers: int = 2) -> pd.DataFrame:
    """The retailer's interactions before `before`, read in one streamed pass by `readers` queries at once."""
    with collector_paused():
        return from_records(list(stream_interactions(graph, retailer_id, before, EVENT_KINDS, readers=readers)))


def from_records(customers: list[Interactions]) -> pd.DataFrame:
    """The table of graph.interactions' (customer_id, orders, events): a row per product of an order, per event.

    The graph sends each order and each event once and without its id, so each is numbered (orders first) as its
    basket_id: grouping and de-duplicating by an integer is also several times cheaper than by millions of strings.
    """
    orders = [order for _, mine, _ in customers for order in mine]
    events = [(customer_id, *event) for customer_id, _, mine in customers for event in mine]
    parts = [_order_lines(customers, orders)] if orders else []
    if events:
        part = pd.DataFrame.from_records(events, columns=[c for c in COLUMNS if c != "basket_id"])
        part.insert(2, "basket_id", np.arange(len(orders), len(orders) + len(events), dtype=np.int64))
        parts.append(part)
    if not parts:
        return empty_table()
    table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    table["at"] = table["at"].astype("int64")
    return table


def _order_lines(customers: list[Interactions], orders: list[list[Any]]) -> pd.DataFrame:
    """One row per product of each order (graph.interactions.ORDER_FIELDS), returned lines as returns; the
    order's number in `orders` as its basket_id."""
    owners = np.repeat(np.array([c for c, _, _ in customers], dtype=object), [len(mine) for _, mine, _ in customers])
    at, kind, store_id, channel_id, products, returned = zip(*orders)
    sizes = np.fromiter(map(len, products), np.int64, len(orders))
    line = np.repeat(np.arange(len(orders)), sizes)       # each row's order
    kinds = np.array(kind, dtype=object)[line]
    starts = (np.cumsum(sizes) - sizes).tolist()
    kinds[[starts[b] + i for b, positions in enumerate(returned) if positions for i in positions]] = "return"
    per_order = {"customer_id": owners, "store_id": store_id, "channel_id": channel_id}
    table = pd.DataFrame({name: np.array(values, dtype=object)[line] for name, values in per_order.items()})
    table.insert(1, "product_id", list(chain.from_iterable(products)))
    table.insert(2, "basket_id", line)
    table.insert(3, "at", np.array(at, dtype=np.int64)[line])
    table.insert(4, "kind", kinds)
    return table


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a bulk job builds millions of objects that form no cycles: each full
    collection walks all of them (on Complete Journey, six took 1.3 s of a 5.4 s interaction read)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def from_canonical(folder: Path) -> pd.DataFrame:
    """Interactions straight from a canonical import folder (orders, order_lines, events)."""
    orders = _read(folder, "orders", ["order_id", "customer_id", "store_id", "channel_id", "placed_at", "kind"])
    lines = _read(folder, "order_lines", ["order_id", "product_id", "quantity"])
    parts = []
    if orders is not None and lines is not None:
        orders = orders.dropna(subset=["customer_id"])
        joined = lines.merge(orders, on="order_id", how="inner")
        returned = (joined["kind"].fillna("purchase") == "return") | (joined["quantity"].astype(float) < 0)
        parts.append(pd.DataFrame({
            "customer_id": joined["customer_id"], "product_id": joined["product_id"],
            "basket_id": joined["order_id"], "at": _epoch(joined["placed_at"]),
            "kind": np.where(returned, "return", "purchase"), "store_id": joined["store_id"],
            "channel_id": joined["channel_id"]}))
    events = _read(folder, "events", ["event_id", "customer_id", "kind", "product_id", "channel_id",
                                      "store_id", "occurred_at"])
    if events is not None:
        events = events.dropna(subset=["customer_id", "product_id"])
        events = events[events["kind"].isin(EVENT_KINDS)]
        parts.append(pd.DataFrame({
            "customer_id": events["customer_id"], "product_id": events["product_id"],
            "basket_id": events["event_id"], "at": _epoch(events["occurred_at"]), "kind": events["kind"],
            "store_id": events["store_id"], "channel_id": events["channel_id"]}))
    if not parts:
        raise FileNotFoundError(f"{folder}: no orders.csv + order_lines.csv or events.csv (.csv or .csv.gz)")
    return pd.concat(parts, ignore_index=True)


def _read(folder: Path, kind: str, columns: list[str]) -> pd.DataFrame | None:
    for name in (f"{kind}.csv", f"{kind}.csv.gz"):
        if (folder / name).exists():
            wanted = set(columns)
            return pd.read_csv(folder / name, dtype=str, usecols=lambda c: c in wanted, keep_default_na=False,
                               na_values=[""])
    return None


def _epoch(values: pd.Series) -> pd.Series:
    """ISO 8601 strings to epoch seconds; naive times are taken as UTC."""
    parsed = pd.to_datetime(values, utc=True, format="ISO8601")
    return (parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def index_in(values: pd.Series | list[object], categories: np.ndarray | list[object]) -> np.ndarray:
    """Position of each value in `categories` (unique), -1 where absent or missing (int64)."""
    return pd.Index(categories).get_indexer(pd.Index(values))


def id_maps(table: pd.DataFrame, products: list[str] | None = None) -> IdMaps:
    """Sorted customer ids and product ids (the table's, plus any catalogue `products`)."""
    product_ids = set(table["product_id"].unique().tolist()) | set(products or [])
    return IdMaps(np.array(sorted(table["customer_id"].unique().tolist()), dtype=object),
                  np.array(sorted(product_ids), dtype=object))


def weighted_matrix(table: pd.DataFrame, ids: IdMaps, settings: InteractionSettings, now: int) -> csr_matrix:
    """Customer x product weights.

    Parameters
    ----------
    table : interactions (see module docstring); rows with ids outside `ids` are ignored
    ids : row and column ids of the result
    settings : weights per kind and recency half-life
    now : epoch seconds the recency decay is measured from

    Returns
    -------
    csr_matrix, shape (len(ids.customer_ids), len(ids.product_ids)), float32, weights >= 0
    """
    once = table.drop_duplicates(["customer_id", "product_id", "basket_id", "kind"])
    rows = index_in(once["customer_id"], ids.customer_ids)
    cols = index_in(once["product_id"], ids.product_ids)
    weight = once["kind"].map(settings.weights).fillna(0.0).to_numpy(dtype=np.float64)
    if settings.half_life_days > 0:
        age_days = np.maximum(now - once["at"].to_numpy(dtype=np.int64), 0) / DAY_S
        weight = weight * np.exp2(-age_days / settings.half_life_days)
    keep = (rows >= 0) & (cols >= 0)
    shape = (len(ids.customer_ids), len(ids.product_ids))
    matrix = csr_matrix((weight[keep], (rows[keep], cols[keep])), shape=shape, dtype=np.float64)
    matrix.sum_duplicates()
    matrix.data = np.maximum(matrix.data, 0.0)
    matrix.eliminate_zeros()
    return matrix.astype(np.float32)


def purchases(table: pd.DataFrame) -> pd.DataFrame:
    """Purchase lines only, one row per customer x product x basket."""
    bought = table[table["kind"] == "purchase"]
    return bought.drop_duplicates(["customer_id", "product_id", "basket_id"])


def log_scaled(matrix: csr_matrix, alpha: float) -> csr_matrix:
    """Confidence 1 + alpha * log1p(weight), as in Hu, Koren and Volinsky's implicit-feedback ALS."""
    scaled = matrix.copy()
    scaled.data = (1.0 + alpha * np.log1p(scaled.data)).astype(np.float32)
    return scaled
