"""Lists for staff and managers: reservations, loans (the overdue ones), residents
and waiting entries, filtered and one page at a time."""

from partanum.errors import PartanumError, load
from partanum.rpc import rpc
from partanum.schemas import schema
from services.booking import listings, relationships, schemas, waiting_list
from services.booking.entrypoints import integer_id, now
from services.booking.entrypoints.desk import as_seen

expected = rpc(expected_exceptions=PartanumError)


class ListEntrypoints:
    @expected
    def list_reservations(self, filters=None):
        """{"partner_id": 2, "site": "jean-vilar", "status": "confirmed",
        "ends_after": "2026-12-01T00:00:00+01:00", "starts_before": "2026-12-08T00:00:00+01:00",
        "limit": 50, "offset": 0} (every key optional) → {"items": [reservation, …],
        "total": 12, "limit": 50, "offset": 0}, earliest first."""
        data = load(schema(schemas.ReservationFilters), filters or {})
        with self.db.transaction() as tx:
            rows, total = listings.reservations(tx, data)
            return schemas.page_out(schema(schemas.ReservationOut), rows, total, data)

    @expected
    def list_loans(self, filters=None):
        """{"partner_id": 2, "overdue": true} (every key optional; see LoanFilters)
        → a page of loans, the soonest due first."""
        data = load(schema(schemas.LoanFilters), filters or {})
        with self.db.transaction() as tx:
            rows, total = listings.loans(tx, data, now())
            return schemas.page_out(schema(schemas.LoanOut), rows, total, data)

    @expected
    def list_residents(self, filters=None):
        """{"partner_id": 2, "search": "amina"} (every key optional) → a page of
        residents, by name. Erased residents are not listed. With a partner_id, only
        those it registered or lends (lent) to, as its staff may see them (as_seen)."""
        data = load(schema(schemas.ResidentFilters), filters or {})
        with self.db.transaction() as tx:
            rows, total = listings.residents(tx, data)
            page = schemas.page_out(schema(schemas.ResidentOut), rows, total, data)
            if "partner_id" in data:
                views = relationships.views(tx, rows, data["partner_id"])
                page["items"] = [as_seen(row, views[row.id]) for row in rows]
            return page

    @expected
    def resident_partners(self, resident_id):
        """42 → {"resident_id": 42, "partner_ids": [1, 3]}: every partner related to
        them (relationships.py): who registered them, where they borrow or borrowed,
        whose desk found them, who holds a mandate of theirs."""
        integer_id("resident_id", resident_id)
        with self.db.transaction() as tx:
            return {
                "resident_id": resident_id,
                "partner_ids": relationships.partners(tx, resident_id, now()),
            }

    @expected
    def list_waiting_entries(self, filters=None):
        """{"resident_id": 42, "status": "held"} (every key optional) → a page of
        waiting entries, oldest first, each with its position while it waits."""
        data = load(schema(schemas.WaitingEntryFilters), filters or {})
        with self.db.transaction() as tx:
            rows, total = listings.waiting_entries(tx, data)
            return schemas.page_out(schema(schemas.WaitingEntryOut), rows, total, data)

    @expected
    def get_waiting_entry(self, entry_id):
        """17 → the entry, with its position while it waits."""
        integer_id("entry_id", entry_id)
        with self.db.transaction() as tx:
            entry = waiting_list.get(tx, entry_id)
            entry.position = waiting_list.position(tx, entry)
            return schema(schemas.WaitingEntryOut).dump(entry)
