"""Finding the resident who asks to sign in, by what they remember: their card
number, their phone or their email. Answers an id only: the gateway sends the code
without ever learning the contact details."""

from sqlalchemy import func, select

from partanum.errors import PartanumError, load
from partanum.rpc import rpc
from services.booking import residents
from services.booking.models import Resident
from services.booking.schemas import SignInLookup

expected = rpc(expected_exceptions=PartanumError)


class SignInEntrypoints:
    @expected
    def find_resident_for_sign_in(self, payload):
        """{"card_number": "RS-0042"} or {"phone": "06 12 34 56 78"} or {"email": …}
        → {"resident_id": 42}, or {"resident_id": null} when nobody (or several
        residents, sharing a phone) matches. Erased residents are never found."""
        data = load(SignInLookup(), payload)
        if "card_number" in data:
            matches = Resident.card_number == data["card_number"].strip()
        elif "email" in data:
            matches = func.lower(Resident.email) == data["email"].strip().lower()
        else:
            matches = residents.with_phone(data["phone"])
        with self.db.transaction() as tx:
            # A second match is enough to know that several share it.
            ids = tx.session.scalars(
                select(Resident.id).where(matches, Resident.erased_at.is_(None)).limit(2)
            ).all()
        return {"resident_id": ids[0] if len(ids) == 1 else None}
