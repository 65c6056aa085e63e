"""From an interaction table to a trained artifact: matrix, model, neighbours, popularity."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from recsys import learned_order
from recsys.history import Coded, encode, purchase_stats, run_starts, weighted
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
    stats = purchase_stats(coded, shape, category_index, now)
    trained_at = datetime.now(timezone.utc)
    return Artifact(
        version=new_version(trained_at, settings), trained_at=trained_at.isoformat(), ids=ids, model=model,
        neighbours=item_neighbours(matrix, settings.neighbours, settings.threads),
        popularity=popularity(coded, shape[1], now), store_ids=store_ids, store_popularity=store_popularity,
        categories=category_index,
        peers=peer_rates(stats.rate, settings.peers, PEER_PRODUCTS, threads=settings.threads),
        signals=learned_order.product_signals(coded, stats.baskets, now),
        settings=settings, interaction_settings=interaction_settings,
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
    """(customers,) index of each customer's home store in `store_ids`, -1 unknown (see home_store_index)."""
    bought = table[(table["kind"] == "purchase") & table["store_id"].notna()]
    return home_store_index(index_in(bought["customer_id"], customer_ids), pd.factorize(bought["basket_id"])[0],
                            index_in(bought["store_id"], store_ids), bought["at"].to_numpy(dtype=np.int64),
                            len(customer_ids))


def home_store_index(customer: np.ndarray, basket: np.ndarray, store: np.ndarray, at: np.ndarray,
                     customers: int) -> np.ndarray:
    """(customers,) each customer's home store: where most of their purchase baskets were; between stores visited
    as often, the one of the latest basket, then the lower store index; -1 without any. Arrays: one entry per
    purchase line (customer and store indexes, -1 unknown; integer basket codes; epoch seconds)."""
    home = np.full(customers, -1, dtype=np.int64)
    known = (customer >= 0) & (store >= 0)
    customer, basket, store, at = customer[known], basket[known], store[known], at[known]
    order = np.lexsort((basket, customer))      # one entry per basket: its lines share its store and time
    customer, basket, store, at = customer[order], basket[order], store[order], at[order]
    one = run_starts(customer, basket)
    customer, store, at = customer[one], store[one], at[one]
    order = np.lexsort((store, customer))       # visits and the latest visit per customer and store
    customer, store, at = customer[order], store[order], at[order]
    start = np.flatnonzero(run_starts(customer, store))
    if not len(start):
        return home
    visits, latest = np.diff(np.append(start, len(customer))), np.maximum.reduceat(at, start)
    customer, store = customer[start], store[start]
    best = np.lexsort((store, -latest, -visits, customer))
    customer, store = customer[best], store[best]
    first = run_starts(customer)
    home[customer[first]] = store[first]
    return home
