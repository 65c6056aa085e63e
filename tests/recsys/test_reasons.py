"""Reason codes of offers and the settings they are ranked with (pure logic)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from recsys import hybrid
from recsys.history import BasketDecay


def _codes(leading: list[int], due: list[float], owned: list[bool], personalise: bool = True) -> list[str]:
    n = len(leading)
    codes = hybrid.reason_codes(np.array(leading, np.int8), np.array(due, np.float32), np.array(owned),
                                np.ones(n, bool), np.full(n, personalise))
    return [hybrid.REASON_CODES[c] for c in codes]


def test_a_product_the_customer_buys_is_bought_again_not_similar_to_itself() -> None:
    # given the collaborative part leads for product 0 (bought before) and product 1 (never bought)
    assert _codes(leading=[1, 1], due=[0.0, 0.0], owned=[True, False]) == ["buy_again", "similar_to_purchase"]


def test_a_bought_product_past_its_usual_interval_is_due() -> None:
    assert _codes(leading=[0, 2], due=[0.9, 0.9], owned=[True, True]) == ["repurchase_due", "repurchase_due"]


def test_no_consent_overrides_every_other_reason() -> None:
    assert _codes(leading=[0], due=[1.0], owned=[True], personalise=False) == ["no_consent"]


def test_what_customers_like_you_buy_says_so_unless_the_customer_buys_it_too() -> None:
    assert _codes(leading=[4, 4], due=[0.0, 0.0], owned=[False, True]) == ["customers_like_you", "buy_again"]


def test_weights_stored_with_a_model_override_the_defaults_and_unknown_ones_are_ignored() -> None:
    artifact = SimpleNamespace(weights={"repurchase": 4.0, "peers_new": 0.0, "retired_weight": 1.0})
    settings = hybrid.settings_for(artifact, hybrid.HybridSettings(list_size=10))  # type: ignore[arg-type]
    assert (settings.repurchase, settings.peers_new, settings.list_size) == (4.0, 0.0, 10)
    assert settings.collaborative == hybrid.HybridSettings.collaborative


def test_a_tuned_basket_decay_sets_that_field_of_the_decay_only() -> None:
    artifact = SimpleNamespace(weights={"basket_decay.across": 0.7, "staple_share": 0.1, "basket_decay": 2.0,
                                        "basket_decay.retired": 1.0, "recent_days.part": 1.0})
    settings = hybrid.settings_for(artifact, hybrid.HybridSettings())  # type: ignore[arg-type]
    assert settings.basket_decay == replace(BasketDecay(), across=0.7)
    assert (settings.staple_share, settings.recent_days) == (0.1, hybrid.HybridSettings.recent_days)
