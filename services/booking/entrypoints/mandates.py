"""Residents' consent for a partner's staff to act for them (mandates.py)."""

from partanum.errors import PartanumError, load
from partanum.rpc import rpc
from partanum.schemas import schema
from services.booking import mandates, schemas
from services.booking.entrypoints import integer_id, now

expected = rpc(expected_exceptions=PartanumError)
MANDATE_OUT = schema(schemas.MandateOut)


class MandateEntrypoints:
    @expected
    def record_mandate(self, payload):
        """{"resident_id": 42, "partner_id": 2, "scopes": ["loans", "data"],
        "expires_at": "2027-06-30T18:00:00+02:00"} → the mandate. NotFound when the
        partner has no relationship with the resident."""
        data = load(schema(schemas.MandateIn), payload)
        with self.db.transaction() as tx:
            mandate = mandates.record(tx, data, now())
            tx.commit()
            return MANDATE_OUT.dump(mandate)

    @expected
    def list_mandates(self, resident_id, partner_id=None):
        """42 (and a partner's id: only its own) → the resident's mandates, latest
        first, withdrawn and expired ones too."""
        integer_id("resident_id", resident_id)
        if partner_id is not None:
            integer_id("partner_id", partner_id)
        with self.db.transaction() as tx:
            return MANDATE_OUT.dump(mandates.of_resident(tx, resident_id, partner_id), many=True)

    @expected
    def get_mandate(self, mandate_id):
        integer_id("mandate_id", mandate_id)
        with self.db.transaction() as tx:
            return MANDATE_OUT.dump(mandates.get(tx, mandate_id))

    @expected
    def withdraw_mandate(self, mandate_id):
        """3 → the mandate, withdrawn from now on."""
        integer_id("mandate_id", mandate_id)
        with self.db.transaction() as tx:
            mandate = mandates.withdraw(tx, mandate_id, now())
            tx.commit()
            return MANDATE_OUT.dump(mandate)

    @expected
    def valid_mandate(self, payload):
        """{"resident_id": 42, "partner_id": 2, "scopes": ["data"]} → {"mandate_id": 3}
        for the partner's valid mandate covering one of the scopes, or {"mandate_id":
        null}; NotFound when the partner has no relationship with the resident."""
        data = load(schema(schemas.ValidMandateIn), payload)
        with self.db.transaction() as tx:
            mandate = mandates.valid(
                tx, data["resident_id"], data["partner_id"], data["scopes"], now()
            )
            return {"mandate_id": mandate.id if mandate else None}
