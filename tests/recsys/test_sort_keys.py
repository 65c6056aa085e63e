"""Packed sort keys for ranking (pure logic)."""

from __future__ import annotations

import numpy as np
import pytest

from recsys import sort_keys


def test_descending_keys_order_floats_from_largest_with_negative_zero_as_zero() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(size=2_000), [0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45, 3e38, -3e38]])
    keys = sort_keys.descending(values)
    assert keys.dtype == np.int64 and keys.min() >= 0 and keys.max() < 2 ** 32
    as_float = values.astype(np.float32)
    assert (np.diff(as_float[np.argsort(keys, kind="stable")]) <= 0).all()
    same = keys[:, None] == keys[None, :]
    assert (same == (as_float[:, None] == as_float[None, :])).all()    # equal keys exactly for equal floats


@pytest.mark.parametrize("case", ["ties", "unsorted rows", "negative and zero", "infinite", "rows too many"])
def test_by_row_then_descending_is_lexsort_by_row_then_value_descending_stable(case: str) -> None:
    rng = np.random.default_rng(5)
    n = 5_000
    rows = np.sort(rng.integers(0, 300, n))
    values = rng.integers(0, 20, n).astype(np.float32) / 4          # many equal values in a row
    if case == "unsorted rows":
        rows = rng.permutation(rows)
    if case == "negative and zero":
        values = np.where(rng.random(n) < 0.3, -values, values) * np.where(rng.random(n) < 0.1, 0.0, 1.0)
        values[::7] = -0.0
    if case == "infinite":
        values[::11] = -np.inf                                       # the key cannot hold it: lexsort
    if case == "rows too many":
        rows = rows + 2 ** 20                                        # nor these
    expected = np.lexsort((-values, rows))
    assert sort_keys.by_row_then_descending(rows, values).tolist() == expected.tolist()
