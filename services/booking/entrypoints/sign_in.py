"""Finding the resident who asks to sign in, by what they remember: their card
number, their phone or their email. Answers an id only: the gateway sends the code
without ever learning the contact details."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from nameko.rpc import rpc
from sqlalchemy import func, select

from partanum.errors import PartanumError, load
from services.booking.models import Resident

expected = rpc(expected_exceptions=PartanumError)


class SignInLookup(Schema):
    card_number = fields.String(validate=validate.Length(min=1, max=40))
    phone = fields.String(validate=validate.Length(min=4, max=40))
    email = fields.String(validate=validate.Length(min=3, max=200))

    @validates_schema
    def exactly_one(self, data, **_):
        if len([name for name in ("card_number", "phone", "email") if name in data]) != 1:
            raise ValidationError("give one of card_number, phone or email", "_schema")


def phone_digits(phone: str) -> str:
    """"06 12 34 56 78", "+33 6 12 34 56 78" and "0033612345678" → "0612345678"."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0033", "33"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            return "0" + digits[len(prefix):]
    return digits


class SignInEntrypoints:
    @expected
    def find_resident_for_sign_in(self, payload):
        """{"card_number": "RS-0042"} or {"phone": "06 12 34 56 78"} or {"email": …}
        → {"resident_id": 42}, or {"resident_id": null} when nobody (or several
        residents, sharing a phone) matches. Erased residents are never found."""
        data = load(SignInLookup(), payload)
        query = select(Resident.id, Resident.phone).where(Resident.erased_at.is_(None))
        with self.db.transaction() as tx:
            if "card_number" in data:
                rows = tx.session.execute(
                    query.where(Resident.card_number == data["card_number"].strip())).all()
            elif "email" in data:
                rows = tx.session.execute(query.where(
                    func.lower(Resident.email) == data["email"].strip().lower())).all()
            else:
                wanted = phone_digits(data["phone"])
                # Phones are kept as typed at the desk: compare their digits.
                rows = [row for row in tx.session.execute(query.where(Resident.phone.is_not(None)))
                        if phone_digits(row.phone) == wanted]
        return {"resident_id": rows[0].id if len(rows) == 1 else None}
