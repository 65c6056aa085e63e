"""Customers like you: what the customers who shop most like a customer buy, found at training time.

TIFU-KNN's neighbour half (Hu et al., SIGIR 2020): each customer is a vector of basket-decayed purchase
rates (history.PurchaseStats.rate); their `k` nearest customers by cosine similarity are averaged, and the
average's best products are kept. The neighbours are fixed at training time, so the worker still
recomputes one customer alone: it reads that customer's row.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.sparse import csr_matrix, vstack

CELLS = 16_000_000   # similarities (or mean rates) held at once: a batch of customers x customers (or products)


def nearest_customers(vectors: csr_matrix, k: int, batch: int | None = None) -> csr_matrix:
    """(customers, customers) matrix averaging each customer's k most similar others.

    Each neighbour counts 1/k; a customer with fewer than k others sharing any product has fewer
    neighbours (a row summing to less than 1) rather than strangers.
    """
    blocks = list(_nearest_blocks(vectors, k, batch))
    return vstack(blocks, format="csr") if blocks else csr_matrix((0, 0), dtype=np.float32)


def peer_rates(rates: csr_matrix, k: int, keep: int, batch: int | None = None) -> csr_matrix:
    """(customers, products) mean rate of each customer's k nearest customers, each row's `keep` best only.

    A customer who shares no product with anyone has an empty row; k = 0 gives an all-empty matrix.
    """
    rates = csr_matrix(rates, dtype=np.float32)
    if k <= 0 or rates.shape[0] < 2:
        return csr_matrix(rates.shape, dtype=np.float32)
    return vstack([_best_per_row(block @ rates, keep) for block in _nearest_blocks(rates, k, batch)],
                  format="csr", dtype=np.float32)


def _nearest_blocks(vectors: csr_matrix, k: int, batch: int | None) -> Iterator[csr_matrix]:
    """nearest_customers a batch of rows at a time (a batch's similarities are held densely)."""
    unit = _unit_rows(vectors)
    n = vectors.shape[0]
    k = max(1, min(k, n - 1))
    batch = batch or max(1, CELLS // max(vectors.shape))
    for start in range(0, n, batch):
        yield _nearest_block(unit, start, min(start + batch, n), k)


def _unit_rows(vectors: csr_matrix) -> csr_matrix:
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    return csr_matrix(vectors.multiply(1.0 / np.maximum(norms, 1e-12)[:, None]), dtype=np.float32)


def _nearest_block(unit: csr_matrix, start: int, end: int, k: int) -> csr_matrix:
    """Rows start..end of nearest_customers: 1/k for each of the k most similar, none with nothing in common."""
    similarity = (unit[start:end] @ unit.T).toarray()
    similarity[np.arange(end - start), np.arange(start, end)] = -1.0
    best = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(end - start), k)
    alike = np.take_along_axis(similarity, best, axis=1).ravel() > 0
    return csr_matrix((np.full(alike.sum(), 1.0 / k, dtype=np.float32), (rows[alike], best.ravel()[alike])),
                      shape=(end - start, unit.shape[0]))


def _best_per_row(matrix: csr_matrix, keep: int) -> csr_matrix:
    """The `keep` largest values of each row (the rest and zeros dropped), by argpartition on the dense rows."""
    dense = matrix.toarray()
    if keep < dense.shape[1]:
        picked = np.argpartition(-dense, keep - 1, axis=1)[:, :keep]
    else:
        picked = np.broadcast_to(np.arange(dense.shape[1]), dense.shape)
    values = np.take_along_axis(dense, picked, axis=1)
    rows = np.broadcast_to(np.arange(dense.shape[0])[:, None], picked.shape)
    kept = values > 0
    return csr_matrix((values[kept], (rows[kept], picked[kept])), shape=dense.shape, dtype=np.float32)
