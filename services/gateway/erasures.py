"""A resident's sign-ins die with their data: when the booking erases a resident,
every token they hold is revoked, so that no session outlives the erasure."""

from datetime import UTC, datetime

from sqlalchemy import update

from partanum import inbox, topology
from partanum.consumer import handle_events
from partanum.events import require
from services.booking import events as booking_events
from services.gateway.models import Token

require(booking_events)


def revoke_resident_tokens(session, resident_id: int, now: datetime) -> None:
    session.execute(
        update(Token)
        .where(Token.resident_id == resident_id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )


class ErasedResidents:
    @handle_events(topology.GATEWAY_BOOKING)
    def on_resident_erased(self, event):
        with self.db.transaction() as tx:
            if inbox.first_delivery(tx.session, "gateway.on_resident_erased", event):
                revoke_resident_tokens(tx.session, event.data["resident_id"], datetime.now(UTC))
            tx.commit()
