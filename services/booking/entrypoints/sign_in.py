"""Finding the resident who asks to sign in, by what they remember: their card
number, their phone or their email. Answers an id only: the gateway sends the code
without ever learning the contact details."""
from nameko.rpc import rpc
from sqlalchemy import func, select

from partanum import phones
from partanum.errors import PartanumError, load
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
        query = select(Resident.id, Resident.phone).where(Resident.erased_at.is_(None))
        with self.db.transaction() as tx:
            if "card_number" in data:
                rows = tx.session.execute(
                    query.where(Resident.card_number == data["card_number"].strip())).all()
            elif "email" in data:
                rows = tx.session.execute(query.where(
                    func.lower(Resident.email) == data["email"].strip().lower())).all()
            else:
                wanted = phones.normalised(data["phone"])
                # Phones are kept as typed at the desk: compare them normalised.
                rows = [row for row in tx.session.execute(query.where(Resident.phone.is_not(None)))
                        if wanted and phones.normalised(row.phone) == wanted]
        return {"resident_id": rows[0].id if len(rows) == 1 else None}
