"""Customers like you: what the customers who shop most like a customer buy, found at training time.

TIFU-KNN's neighbour half (Hu et al., SIGIR 2020): each customer is a vector of basket-decayed purchase
rates (history.PurchaseStats.rate); their `k` nearest customers by cosine similarity are averaged, and the
average's best products are kept. The neighbours are fixed at training time, so the worker still
recomputes one customer alone: it reads that customer's row.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.sparse import csr_matrix, vstack

from recsys.candidates import best_per_row

CELLS = 16_000_000   # similarities (or mean rates) held at once: a batch of customers x customers (or products)
SAMPLED = 8          # columns sampled per one wanted, to find each row's floor (_largest)
SMALLEST_POSITIVE = np.nextafter(np.float32(0), np.float32(1))


def nearest_customers(vectors: csr_matrix, k: int, batch: int | None = None, threads: int = 1) -> csr_matrix:
    """(customers, customers) matrix averaging each customer's k most similar others.

    Each neighbour counts 1/k; a customer with fewer than k others sharing any product has fewer
    neighbours (a row summing to less than 1) rather than strangers. `threads` work on batches side by side.
    """
    blocks = _nearest_blocks(vectors, k, batch, threads)
    return vstack(blocks, format="csr") if blocks else csr_matrix((0, 0), dtype=np.float32)


def peer_rates(rates: csr_matrix, k: int, keep: int, batch: int | None = None, threads: int = 1) -> csr_matrix:
    """(customers, products) mean rate of each customer's k nearest customers, each row's `keep` best only.

    A customer who shares no product with anyone has an empty row; k = 0 gives an all-empty matrix.
    """
    rates = csr_matrix(rates, dtype=np.float32)
    if k <= 0 or rates.shape[0] < 2:
        return csr_matrix(rates.shape, dtype=np.float32)
    blocks = _nearest_blocks(rates, k, batch, threads, then=lambda near: _best_per_row(near @ rates, keep))
    return vstack(blocks, format="csr", dtype=np.float32)


def _nearest_blocks(vectors: csr_matrix, k: int, batch: int | None, threads: int,
                    then: Callable[[csr_matrix], csr_matrix] = lambda near: near) -> list[csr_matrix]:
    """`then` of nearest_customers, a batch of rows at a time (a batch's similarities are held densely), in
    `threads` threads (the sparse products and numpy's sorting run without the GIL)."""
    unit = _unit_rows(vectors)
    columns = unit.T.tocsr()
    n = vectors.shape[0]
    k = max(1, min(k, n - 1))
    batch = batch or max(1, CELLS // max(vectors.shape))

    def block(start: int) -> csr_matrix:
        return then(_nearest_block(unit, columns, start, min(start + batch, n), k))
    if threads <= 1:
        return [block(start) for start in range(0, n, batch)]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(block, range(0, n, batch)))


def _unit_rows(vectors: csr_matrix) -> csr_matrix:
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    return csr_matrix(vectors.multiply(1.0 / np.maximum(norms, 1e-12)[:, None]), dtype=np.float32)


def _nearest_block(unit: csr_matrix, columns: csr_matrix, start: int, end: int, k: int) -> csr_matrix:
    """Rows start..end of nearest_customers (`columns`: unit transposed): 1/k for each of the k most similar, none
    with nothing in common."""
    similarity = (unit[start:end] @ columns).toarray()
    similarity[np.arange(end - start), np.arange(start, end)] = -1.0
    rows, cols = _largest(similarity, k)
    return csr_matrix((np.full(len(rows), 1.0 / k, dtype=np.float32), (rows, cols)), shape=(end - start, unit.shape[0]))


def _best_per_row(matrix: csr_matrix, keep: int) -> csr_matrix:
    """The `keep` largest values of each row (the rest and zeros dropped)."""
    dense = matrix.toarray()
    rows, cols = _largest(dense, keep)
    return csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape, dtype=np.float32)


def _largest(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of each row's k largest positive scores (all its positive ones where it has fewer), ties to
    the lower column: what sorting each row would pick, without sorting whole rows.

    Only scores at or above a per-row floor are sorted: a score about 4k of the row's reach, estimated from every
    few columns. A row where fewer than k reach it takes its exact k-th largest instead (np.partition)."""
    n = scores.shape[1]
    k = min(k, n)
    floor = np.maximum(_floor(scores, k), SMALLEST_POSITIVE)
    above = scores >= floor[:, None]
    short = np.flatnonzero(np.count_nonzero(above, axis=1) < k)
    if len(short):
        exact = np.partition(scores[short], n - k, axis=1)[:, n - k]
        above[short] = scores[short] >= np.maximum(exact, SMALLEST_POSITIVE)[:, None]
    rows, cols = np.nonzero(above)
    best = best_per_row(rows, cols, scores[rows, cols], k)
    return rows[best], cols[best]


def _floor(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, a score about 4k of the row's reach, from a sample of every step-th column (-inf where there are
    too few columns to sample: all are kept)."""
    step = scores.shape[1] // (SAMPLED * k)
    if step < 2:
        return np.full(scores.shape[0], -np.inf, dtype=scores.dtype)
    sample = scores[:, ::step]
    rank = sample.shape[1] - min(sample.shape[1], -(-4 * k // step))
    return np.partition(sample, rank, axis=1)[:, rank]
