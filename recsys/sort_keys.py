"""Sort keys for ranking: one packed int64 per entry, sorted once, instead of np.lexsort's pass per key."""

from __future__ import annotations

import numpy as np


def by_row_then_descending(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions ordered by row, then value descending, equal values in position order: np.lexsort((-values,
    rows)), three times faster through one int64 key (row, the value's float32 bits in descending order,
    position) where it can hold them (non-negative rows, finite values), else np.lexsort itself.

    The keys are sorted with numpy's stable sort (a merge sort that finds runs already in order): the callers'
    rows come in order, and 350,000 keys in rows of 350 sort in 8 ms that way, against 15 ms with the default
    quicksort (which is faster, 16 ms against 20, only on keys in no order at all)."""
    position_bits = max(1, len(rows).bit_length())
    if not (len(rows) and rows.min() >= 0 and int(rows.max()) < 2 ** (31 - position_bits)
            and np.isfinite(values).all()):
        return np.lexsort((-values, rows))
    keys = (rows.astype(np.int64) << (32 + position_bits)) | (descending(values) << position_bits) \
        | np.arange(len(rows), dtype=np.int64)
    return np.sort(keys, kind="stable") & ((1 << position_bits) - 1)


def descending(values: np.ndarray) -> np.ndarray:
    """32-bit int64 keys whose ascending order is the values' (as float32) descending order; -0.0 is 0.0.

    A float32's bits, read as an unsigned integer, order the non-negative values upwards and the negative ones
    downwards, above them: so a negative value's bits are already its key, and a non-negative one's key is
    2**31 - 1 minus its bits. Computed in place: a neighbour matrix has millions of values, and each temporary
    of that size is fresh memory to fault in."""
    keys = (np.asarray(values, np.float32) + np.float32(0.0)).view(np.uint32).astype(np.int64)
    np.subtract(2 ** 31 - 1, keys, out=keys, where=keys < 2 ** 31)
    return keys
