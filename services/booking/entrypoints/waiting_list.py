"""Residents in line for a kind of device at a site, and the holds kept for them."""

from nameko.timer import timer

from partanum.config import timer_interval
from partanum.errors import PartanumError, load
from partanum.rpc import rpc
from partanum.schemas import schema
from services.booking import schemas, waiting_list
from services.booking.entrypoints import integer_id, now, retry_races
from services.booking.vocabulary import WaitingStatus

expected = rpc(expected_exceptions=PartanumError)

# Holds last days: a minute late in expiring one, or in offering a device freed
# without an inventory event (a cancelled reservation), costs nobody anything.
EXPIRE_HOLDS_SECONDS = timer_interval(60)
OFFER_HOLDS_SECONDS = timer_interval(120)


class WaitingListEntrypoints:
    def _hold_terms(self) -> waiting_list.HoldTerms:
        return waiting_list.HoldTerms.of(self.settings)

    @expected
    def join_waiting_list(self, payload):
        """{"resident_id": 42, "category_id": 3, "site": "jean-vilar"} → the entry, with
        its "position" in line, or "status": "held" and the device kept for them if
        one was on the shelf."""
        data = load(schema(schemas.WaitingListJoinIn), payload)

        def attempt():
            with self.db.transaction() as tx:
                entry = waiting_list.join(tx, data, now(), self._hold_terms())
                tx.commit()
                return schema(schemas.WaitingEntryOut).dump(entry)

        return retry_races(attempt)

    @expected
    def leave_waiting_list(self, entry_id):
        """17 (the entry's id) → the entry, cancelled; a device it held goes to the next."""
        integer_id("entry_id", entry_id)

        def attempt():
            with self.db.transaction() as tx:
                entry = waiting_list.leave(tx, entry_id, now(), self._hold_terms())
                tx.commit()
                return schema(schemas.WaitingEntryOut).dump(entry)

        return retry_races(attempt)

    @expected
    def waiting_list(self, payload):
        """{"category_id": 3, "site": "jean-vilar"} → {"category_id": 3, "site_id": 1,
        "held": 1, "waiting": 2, "entries": [{"id": 17, "resident_id": 42,
        "status": "held", "position": null, …}, {"id": 18, …, "position": 1}, …]}"""
        data = load(schema(schemas.WaitingListIn), payload)
        with self.db.transaction() as tx:
            site, entries = waiting_list.queue(tx, data)
            return {
                "category_id": data["category_id"],
                "site_id": site.id,
                WaitingStatus.HELD: sum(entry.status == WaitingStatus.HELD for entry in entries),
                WaitingStatus.WAITING: sum(
                    entry.status == WaitingStatus.WAITING for entry in entries
                ),
                "entries": schema(schemas.WaitingEntryOut, many=True).dump(entries),
            }

    @timer(interval=EXPIRE_HOLDS_SECONDS)
    def expire_holds(self):
        def attempt():
            with self.db.transaction() as tx:
                waiting_list.expire_holds(tx, now(), self._hold_terms())
                tx.commit()

        retry_races(attempt)

    @timer(interval=OFFER_HOLDS_SECONDS)
    def offer_holds(self):
        def attempt():
            with self.db.transaction() as tx:
                waiting_list.offer_holds(tx, now(), self._hold_terms())
                tx.commit()

        retry_races(attempt)
