"""A resident's data: exported or erased on request, and loans forgotten on schedule."""

from nameko.timer import timer

from partanum.config import secret_key, timer_interval
from partanum.errors import PartanumError
from partanum.rpc import rpc
from partanum.schemas import schema
from services.booking import privacy, relationships, schemas, waiting_list
from services.booking.entrypoints import integer_id, now

expected = rpc(expected_exceptions=PartanumError)

# Anonymisation counts in days: once an hour is plenty, and cheap when nothing is due.
ANONYMISE_SECONDS = timer_interval(3600)


class PrivacyEntrypoints:
    @expected
    def privacy_terms(self):
        """→ {"anonymise_after_days": 30}: how long after its return a loan keeps its
        resident (what a resident's history page tells them)."""
        return {"anonymise_after_days": self.settings.anonymise_after_days}

    @expected
    def export_resident_data(self, resident_id):
        """42 → {"exported_at": …, "resident": {"id": 42, "display_name": "Amina B.",
        "phone": …, …}, "loans": [{"id": 12, "asset_tag": "JV-TAB-003", …}],
        "waiting_entries": [{"id": 17, "status": "waiting", …}]}"""
        integer_id("resident_id", resident_id)
        with self.db.transaction() as tx:
            return privacy.export_resident_data(tx, resident_id, now())

    @expected
    def erase_resident(self, resident_id):
        """42 → the resident as now stored: no name, phone, email or card number,
        "erased_at" set. Refused (StillHoldsDevice) while they have a device on loan."""
        integer_id("resident_id", resident_id)
        with self.db.transaction() as tx:
            terms = waiting_list.HoldTerms.of(self.settings)
            resident = privacy.erase_resident(
                tx, resident_id, now(), terms, key=secret_key(self.config)
            )
            tx.commit()
            return schema(schemas.ErasedResidentOut).dump(resident)

    @timer(interval=ANONYMISE_SECONDS)
    def anonymise_returned_loans(self):
        with self.db.transaction() as tx:
            at, after = now(), self.settings.anonymise_after
            privacy.anonymise_returned_loans(tx, at, after, key=secret_key(self.config))
            # A desk that has not seen the resident for as long forgets it found them.
            relationships.forget_found(tx, at - after)
            tx.commit()
