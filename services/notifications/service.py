"""The notifications service: tells residents and partner staff, in their language,
once, what the booking and the inventory did that concerns them.

Events become intents (rows in `messages`) in the transaction that records them in
the inbox; the sender sends what is due right after that commit, and a timer sends
the rest (reminders, quiet-hour postponements, retries). One sender at a time: a
handler that finds it busy leaves the new messages to it, so that under load they
go in batches. See sending.py for what happens on a crash mid-send.
"""

import logging
from datetime import UTC, datetime

from nameko.timer import timer

from partanum import catalogues, inbox, topology
from partanum.consumer import handle_events
from partanum.dependencies import Database, ServiceSettings
from partanum.errors import Conflict, PartanumError, load
from partanum.events import require
from partanum.health import HealthCheck
from partanum.rpc import RpcProxy, rpc
from partanum.schemas import schema
from services.booking import events as booking_events
from services.inventory import events as inventory_events
from services.notifications import intents, records, schemas, sending, sign_in
from services.notifications.catalogues import CATALOGUES
from services.notifications.channels import DeliveryFailed
from services.notifications.dependencies import Channels, SendingTurn
from services.notifications.settings import Settings

# The contracts of the events consumed here: without them every event is parked as unknown.
require(booking_events, inventory_events)

log = logging.getLogger(__name__)
expected = rpc(expected_exceptions=PartanumError)

# The timer looks for messages come due (reminders, retries) this often.
SEND_POLL_SECONDS = 1.0


class Service(HealthCheck):
    name = "notifications"
    db = Database()
    channels = Channels()
    turn = SendingTurn()
    booking = RpcProxy("booking")
    settings = ServiceSettings(Settings)

    def _sender(self) -> sending.Sender:
        return sending.Sender(self.db, self.settings, self.channels, self._contacts)

    def _contacts(self, resident_ids) -> dict:
        return {
            contact["resident_id"]: contact
            for contact in self.booking.contact_details_many(resident_ids)
        }

    def _send_due(self) -> None:
        self.turn.run(self._sender().send_due)

    @handle_events(topology.NOTIFICATIONS)
    def on_event(self, event):
        now = datetime.now(UTC)
        with self.db.transaction() as tx:
            planned = []
            if inbox.first_delivery(tx.session, "notifications.on_event", event):
                planned = intents.record(tx, event, now, self.settings)
            tx.commit()
        if any(message["send_after"] <= now for message in planned):
            try:
                self._send_due()
            except Exception:  # noqa: BLE001 -- recorded and committed: the timer sends them
                log.exception("sending right after %s failed; the timer will retry", event.type)

    @timer(interval=SEND_POLL_SECONDS)
    def send_pending(self):
        self._send_due()

    @expected
    def delivery_log(self, payload=None):
        """{"resident_id": 42, "partner_id": null, "status": "failed",
        "since": "2026-11-24T00:00:00+01:00"} (every key optional) → messages, latest
        first: what, to whom by id, channel, status, when. Never contact details."""
        query = load(schema(schemas.DeliveryLogIn), payload or {})
        with self.db.transaction() as tx:
            return schema(schemas.MessageOut, many=True).dump(records.delivery_log(tx, **query))

    @expected
    def staff_notices(self, partner_id, include_done=False):
        """3 → that partner desk's notices still to handle, latest first: reservations
        confirmed, changed or cancelled, items withdrawn, residents to call, messages
        that could not be delivered."""
        with self.db.transaction() as tx:
            notices = records.staff_notices(tx, partner_id, include_done)
            return schema(schemas.StaffNoticeOut, many=True).dump(notices)

    @expected
    def mark_notice_done(self, notice_id):
        """17 → the notice, handled."""
        with self.db.transaction() as tx:
            notice = records.mark_notice_done(tx, notice_id, datetime.now(UTC))
            tx.commit()
            return schema(schemas.StaffNoticeOut).dump(notice)

    @expected
    def note_erasure_request(self, partner_id, resident_id):
        """3, 42 → the notice telling that desk the resident asks to be erased (the desk
        confirms it with them, then erases); asked again, the same open notice."""
        with self.db.transaction() as tx:
            notice = records.note_erasure_request(
                tx, int(partner_id), int(resident_id), datetime.now(UTC)
            )
            tx.commit()
            return schema(schemas.StaffNoticeOut).dump(notice)

    @expected
    def catalogue_review(self):
        """→ [{"language": "ar", "status": "awaiting native-speaker review",
        "check_first": "…"}]: how far the messages' translations are reviewed, for
        staff to know which to trust (partanum.catalogues.review)."""
        return catalogues.review(CATALOGUES)

    @expected
    def send_code_to_new_address(self, resident_id, payload):
        """42, {"phone": "07 11 22 33 44", "code": "048213", "minutes": 10,
        "language": "fr"} (or "email") → {"channel": "sms"}: proves a resident's new
        phone or email. Sent there only, now, and stored nowhere: it is not theirs yet.
        Conflict when it could not be sent."""
        contact = {
            "resident_id": resident_id,
            "phone": payload.get("phone"),
            "email": payload.get("email"),
            "language": payload.get("language"),
            "channel": "sms" if payload.get("phone") else "email",
        }
        try:
            channel = sign_in.send_code(self.channels, contact, payload["code"], payload["minutes"])
        except (sign_in.NoChannel, DeliveryFailed):
            raise Conflict("the code could not be sent", {"reason": "undeliverable"}) from None
        return {"channel": channel}

    @expected
    def set_partner_contact(self, partner_id, payload):
        """3, {"email": "accueil@jean-vilar.example", "language": "fr"}: the desk's own
        address (not a person's); staff notices are also emailed there."""
        data = load(schema(schemas.PartnerContactIn), payload)
        with self.db.transaction() as tx:
            contact = records.set_partner_contact(tx, partner_id, data)
            tx.commit()
            return schema(schemas.PartnerContactOut).dump(contact)

    # the administrator's pages: each desk's address, to see and change
    @expected
    def partner_contacts(self):
        """→ [{"partner_id": 3, "email": "accueil@jean-vilar.example", "language": "fr"}]:
        the desks that were given an address."""
        with self.db.transaction() as tx:
            return schema(schemas.PartnerContactOut, many=True).dump(records.partner_contacts(tx))

    @expected
    def send_sign_in_code(self, resident_id, code, minutes=10):
        """42, "048213" → {"channel": "sms"}: the code the resident asked for, sent now
        through their preferred channel. NotFound for an unknown or erased resident;
        Conflict when they gave no phone nor email, or when no channel took it."""
        contact = self.booking.contact_details(resident_id)
        try:
            channel = sign_in.send_code(self.channels, contact, code, minutes)
        except sign_in.NoChannel:
            raise Conflict(
                "the resident gave no phone nor email", {"reason": "no_channel"}
            ) from None
        except DeliveryFailed as failure:
            raise Conflict(
                "the code could not be sent", {"reason": "undeliverable", "error": failure.reason}
            ) from None
        return {"channel": channel}
