"""Reason codes of offers (pure logic)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from recsys import hybrid
from recsys.history import PurchaseStats


def _stats(baskets: list[list[int]]) -> PurchaseStats:
    matrix = csr_matrix(np.array(baskets, dtype=np.float32))
    return PurchaseStats(baskets=matrix, last=matrix, interval=matrix, rate=matrix)


def test_a_product_the_customer_buys_is_bought_again_not_similar_to_itself() -> None:
    # given the collaborative part leads for product 0 (bought 3 times) and product 1 (never bought)
    scored = hybrid.Scored(total=np.ones((1, 2), np.float32), leading=np.array([[1, 1]], np.int8),
                           due=np.zeros((1, 2), np.float32))
    rows, cols = np.array([0, 0]), np.array([0, 1])
    # when
    codes = hybrid.reason_codes(scored, _stats([[3, 0]]), rows, cols, np.array([True]), np.array([True]))
    # then
    assert [hybrid.REASON_CODES[c] for c in codes] == ["buy_again", "similar_to_purchase"]


def test_no_consent_overrides_every_other_reason() -> None:
    scored = hybrid.Scored(total=np.ones((1, 1), np.float32), leading=np.array([[0]], np.int8),
                           due=np.ones((1, 1), np.float32))
    codes = hybrid.reason_codes(scored, _stats([[2]]), np.array([0]), np.array([0]), np.array([True]),
                                np.array([False]))
    assert [hybrid.REASON_CODES[c] for c in codes] == ["no_consent"]
