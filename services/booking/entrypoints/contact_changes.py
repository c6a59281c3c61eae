"""A resident's new phone or email, proven with a one-time code before it is kept."""

from partanum.config import secret_key
from partanum.errors import InvalidInput, PartanumError, load
from partanum.rpc import rpc
from partanum.schemas import schema
from services.booking import contact_changes, privacy, schemas
from services.booking.entrypoints import integer_id, now

expected = rpc(expected_exceptions=PartanumError)
CODE_OUT = schema(schemas.ContactCodeOut)


class ContactChangeEntrypoints:
    @expected
    def propose_contact_change(self, resident_id, payload):
        """42, {"phone": "07 11 22 33 44"} (or {"email": …}) → {"code": "048213",
        "language": "fr", "minutes": 10}: the code to send to the new address, which
        replaces the old one once confirm_contact_change gets the code back."""
        integer_id("resident_id", resident_id)
        [(field, value)] = load(schema(schemas.ContactChangeIn), payload).items()
        with self.db.transaction() as tx:
            code, resident = contact_changes.propose(tx, resident_id, field, value, now())
            tx.commit()
            minutes = int(contact_changes.CODE_LIFETIME.total_seconds() // 60)
            return CODE_OUT.dump({"code": code, "language": resident.language, "minutes": minutes})

    @expected
    def confirm_contact_change(self, resident_id, payload):
        """42, {"code": "048213"} → the resident with their new phone or email.
        InvalidInput naming "code" when it is wrong or expired (five wrong codes void
        the change)."""
        integer_id("resident_id", resident_id)
        data = load(schema(schemas.ContactCodeIn), payload)
        with self.db.transaction() as tx:
            resident = contact_changes.confirm(tx, resident_id, data["code"].strip(), now())
            if resident is not None:  # so that erasure recognises it once it is replaced
                privacy.remember_details(tx, resident, secret_key(self.config))
            tx.commit()  # a wrong code's count too
        if resident is None:
            raise InvalidInput({"code": ["wrong or expired code"]})
        return schema(schemas.ResidentOut).dump(resident)
