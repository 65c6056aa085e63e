"""From an interaction table to a trained artifact: matrix, model, neighbours, popularity."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from recsys.history import Coded, encode, purchase_stats, weighted
from recsys.interactions import DAY_S, IdMaps, InteractionSettings, id_maps, index_in
from recsys.model import Artifact, ModelSettings, fit, item_neighbours, new_version
from recsys.peers import peer_rates

POPULARITY_HALF_LIFE_DAYS = 28.0
PEER_PRODUCTS = 100   # products kept per customer in the customers-like-you lists


def train(table: pd.DataFrame, settings: ModelSettings, interaction_settings: InteractionSettings, now: int,
          categories: dict[str, str] | None = None) -> Artifact:
    """Train every part of the artifact on interactions before `now` (epoch seconds)."""
    table = table[table["at"] < now]
    ids = id_maps(table)
    coded = encode(table, ids)
    shape = (len(ids.customer_ids), len(ids.product_ids))
    matrix = weighted(coded, shape, interaction_settings, now)
    model = fit(matrix, settings)
    store_ids, store_popularity = popularity_by_store(table, ids, now)
    category_index = category_codes(ids, categories or {})
    rates = purchase_stats(coded, shape, category_index, now).rate
    trained_at = datetime.now(timezone.utc)
    return Artifact(
        version=new_version(trained_at, settings), trained_at=trained_at.isoformat(), ids=ids, model=model,
        neighbours=item_neighbours(matrix, settings.neighbours, settings.threads),
        popularity=popularity(coded, shape[1], now), store_ids=store_ids, store_popularity=store_popularity,
        categories=category_index, peers=peer_rates(rates, settings.peers, PEER_PRODUCTS, threads=settings.threads),
        settings=settings,
        interaction_settings=interaction_settings,
        counts={"customers": shape[0], "products": shape[1], "interactions": int(len(table)),
                "matrix_entries": int(matrix.nnz)})


def popularity(coded: Coded, n_products: int, now: int) -> np.ndarray:
    """Purchases per product, each weighted by recency (half-life POPULARITY_HALF_LIFE_DAYS)."""
    bought = coded.kind == 0
    decay = np.exp2(-np.maximum(now - coded.at[bought], 0) / DAY_S / POPULARITY_HALF_LIFE_DAYS)
    return np.bincount(coded.col[bought], weights=decay, minlength=n_products).astype(np.float32)


def popularity_by_store(table: pd.DataFrame, ids: IdMaps, now: int) -> tuple[np.ndarray, csr_matrix]:
    """Store ids and their recency-weighted purchases per product, shape (stores, products)."""
    bought = table[(table["kind"] == "purchase") & table["store_id"].notna()]
    store_ids = np.array(sorted(bought["store_id"].unique().tolist()), dtype=object)
    rows = index_in(bought["store_id"], store_ids)
    cols = index_in(bought["product_id"], ids.product_ids)
    decay = np.exp2(-np.maximum(now - bought["at"].to_numpy(dtype=np.int64), 0) / DAY_S / POPULARITY_HALF_LIFE_DAYS)
    keep = cols >= 0
    matrix = csr_matrix((decay[keep], (rows[keep], cols[keep])), shape=(len(store_ids), len(ids.product_ids)))
    matrix.sum_duplicates()
    return store_ids, matrix.astype(np.float32)


def category_codes(ids: IdMaps, categories: dict[str, str]) -> np.ndarray:
    """(products,) integer code of each product's category, -1 where unknown."""
    values = pd.Series([categories.get(p) for p in ids.product_ids.tolist()], dtype="object")
    return pd.factorize(values, use_na_sentinel=True)[0].astype(np.int64)


def home_stores(table: pd.DataFrame, customer_ids: np.ndarray, store_ids: np.ndarray) -> np.ndarray:
    """(customers,) index of the store each customer bought at most often, -1 unknown."""
    bought = table[(table["kind"] == "purchase") & table["store_id"].notna()]
    visits = bought.drop_duplicates(["customer_id", "basket_id"]).groupby(["customer_id", "store_id"]).size()
    if visits.empty:
        return np.full(len(customer_ids), -1, dtype=np.int64)
    best = visits.reset_index().sort_values(0, ascending=False).drop_duplicates("customer_id")
    store_of = dict(zip(best["customer_id"], best["store_id"]))
    index = {s: i for i, s in enumerate(store_ids.tolist())}
    return np.array([index.get(store_of.get(c), -1) for c in customer_ids.tolist()], dtype=np.int64)
