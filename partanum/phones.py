"""Phone numbers, one way everywhere: E.164 ("+33612345678"), read the way a French
desk writes them ("06 12 34 56 78", "+33 6 12 34 56 78", "0033 6…") and any other
country's with its "+" prefix."""

import re

import phonenumbers

REGION = "FR"


def normalised(phone: str) -> str | None:
    """The number in E.164, or None when it cannot be a phone number."""
    try:
        number = phonenumbers.parse(phone, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_number(a: str | None, b: str | None) -> bool:
    """Two numbers as written by people: the same phone?"""
    return (
        a is not None
        and b is not None
        and normalised(a) is not None
        and normalised(a) == normalised(b)
    )


def digits(phone: str) -> str:
    """Only the digits, as written: "06 12 34 56 78" → "0612345678"."""
    return re.sub(r"\D", "", phone)
