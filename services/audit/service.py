"""The audit service: every event of every service, appended once to a hash-chained
log that managers query and anyone can verify; the reports and rebalancing
suggestions computed from it (entrypoints/reports.py); and the acceptance of a
suggestion, which the inventory carries out.

RPC only; each call loads its input with a schema (InvalidInput names every field
at fault) and runs in one transaction.
"""

from partanum import topology
from partanum.config import secret_key
from partanum.consumer import handle_event_batches
from partanum.dependencies import Database
from partanum.errors import PartanumError, load
from partanum.events import require
from partanum.health import HealthCheck
from partanum.rpc import rpc
from services.audit import events as audit_contracts
from services.audit import figures, log, schemas, transfers
from services.audit.entrypoints.reports import ReportEntrypoints
from services.booking import events as booking_events
from services.inventory import events as inventory_events

# Every contract, so that every event is read and checked before it is logged:
# without them an event would be parked as unknown.
require(booking_events, inventory_events, audit_contracts)

expected = rpc(expected_exceptions=PartanumError)


class Service(HealthCheck, ReportEntrypoints):
    name = "audit"
    db = Database()

    @handle_event_batches(topology.AUDIT)
    def record_events(self, events):
        """The events that arrived together, in one transaction, in their order; each
        once: a redelivered one finds its event_id in the log. A resident's erasure
        erases the bodies of the entries naming them, those before it in the batch
        included. The figures the reports read follow in the same transaction."""
        with self.db.transaction() as tx:
            run: list[dict] = []
            changed: list[int] = []  # seqs appended or erased: the figures follow them
            for event in events:
                run.append(log.wire_form(event))
                if event.type == "booking.resident_erased":
                    changed += log.append_many(tx.session, run)
                    run = []
                    changed += log.erase_payloads(
                        tx.session, event.data["resident_id"], event.actor
                    )
            changed += log.append_many(tx.session, run)
            figures.update(tx.session, changed, self._zone())
            tx.commit()

    @expected
    def erase_payloads(self, payload):
        """{"resident_id": 7} → {"erased": [12, 40]}: the seqs whose bodies were erased
        (what booking's erasure of that resident does on its own)."""
        data = load(schemas.ErasureIn(), payload)
        with self.db.transaction() as tx:
            erased = log.erase_payloads(tx.session, data["resident_id"], tx.actor)
            figures.update(tx.session, erased, self._zone())
            tx.commit()
            return {"erased": erased}

    @expected
    def query_log(self, payload=None):
        """{"item_id": 17, "partner_id": 2, "site_id": 3, "actor": "staff:42",
        "type": "inventory.item_transferred", "from": "2026-11-01T00:00:00+01:00",
        "to": "2026-12-01T00:00:00+01:00", "limit": 100, "offset": 0} (each optional;
        `after_seq` instead of `offset` to read on from an entry) → {"entries": […],
        "next_after_seq": the last entry's seq, or null}. Entries in log order; an id
        filter finds every entry whose event names that id."""
        filters = load(schemas.LogQueryIn(), payload or {})
        with self.db.transaction() as tx:
            entries = log.query(tx.session, filters)
            return {
                "entries": schemas.EntryOut(many=True).dump(entries),
                "next_after_seq": entries[-1].seq if entries else None,
            }

    @expected
    def verify_log(self):
        """→ {"ok": true, "count": 1234, "head_hash": "9f2c…", "first_bad": null}, or
        "ok": false with "first_bad": {"seq": 17, "problem": "altered: …"}."""
        with self.db.transaction() as tx:
            result = log.verify_chain(tx.session)
        if isinstance(result, log.Problem):
            return {"ok": False, "first_bad": {"seq": result.seq, "problem": result.what}}
        return {"ok": True, "count": result.count, "head_hash": result.head_hash, "first_bad": None}

    @expected
    def accept_suggestion(self, payload):
        """A suggestion as `suggestions` returned it: {"item_ids": [17, 18],
        "from_site_id": 2, "to_site_id": 3, "category_id": 1, "reason": "move 2 tablets…",
        "figures": {…}, "signature": "…"} → {"event_id": "…", …}: the inventory moves
        the items when it receives audit.transfer_accepted. Anything changed in it, or
        made up, is refused (InvalidInput naming "signature")."""
        data = load(schemas.SuggestionIn(), payload)
        with self.db.transaction() as tx:
            event = transfers.accept(tx, data, secret_key(self.config))
            tx.commit()
            return {"event_id": event["id"], **event["data"]}
