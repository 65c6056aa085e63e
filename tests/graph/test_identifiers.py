"""One spelling per identifier: what is stored and what is looked up (pure logic)."""

import pytest

from graph.identifiers import identifier_key, lookup_values, phone_key


@pytest.mark.parametrize("typed", ["+1 614 555 0166", "+1 (614) 555-0166", " +1.614.555.0166 ", "0016145550166",
                                   "00 1 614 555 0166"])
def test_a_number_with_its_country_code_has_one_spelling(typed: str) -> None:
    assert phone_key(typed) == "+16145550166"


def test_a_national_number_keeps_its_digits_and_leading_zero() -> None:
    assert phone_key("0701-23 45 67") == "0701234567"
    assert phone_key("(070) 123 4567") == "0701234567"


def test_text_without_digits_is_no_phone_number() -> None:
    assert phone_key("call me") == "" and phone_key("+") == ""


def test_each_kind_has_its_spelling() -> None:
    assert identifier_key("email", " Ada@Example.COM ") == "ada@example.com"
    assert identifier_key("phone", "+46 70-000 00 02") == "+46700000002"
    assert identifier_key("loyalty_card", " LC-0001 ") == "LC-0001"     # other kinds: as given, trimmed


def test_lookups_also_try_the_value_as_typed_for_older_graphs() -> None:
    assert lookup_values("phone", "+1 614 555 0166") == ["+16145550166", "+1 614 555 0166"]
    assert lookup_values("phone", "+16145550166") == ["+16145550166"]
    assert lookup_values("phone", "none") == ["none"]
