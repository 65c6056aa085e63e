"""How identifiers are compared: the one spelling stored, and looked up, for each kind.

E-mail addresses are kept in lower case. Phone numbers are kept as their digits, with a leading "+" (or "00", its
dialled form) for the country code: "+1 (614) 555-0166", "+1 614 555 0166" and "0016145550166" are all
"+16145550166", so a number typed at the service desk finds the one a till or webshop stored. A national number
("0701-23 45 67" is "0701234567") is not matched with its international form: that would need the retailer's
country. Other kinds are kept as given, without surrounding blanks.
"""

from __future__ import annotations

import re

NOT_DIGIT = re.compile(r"\D")


def identifier_key(kind: str, value: str) -> str:
    """The stored spelling of an identifier of this kind ("" when nothing is left of it)."""
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        return phone_key(value)
    return value


def phone_key(value: str) -> str:
    """Digits only, "+" first for a number given with its country code; "" when it holds no digit."""
    digits = NOT_DIGIT.sub("", value)
    if not digits:
        return ""
    if value.lstrip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def lookup_values(kind: str, value: str) -> list[str]:
    """What to look an identifier up by: its stored spelling, and as typed for a graph written before the
    spellings were unified."""
    return [v for v in dict.fromkeys([identifier_key(kind, value), value.strip()]) if v]
