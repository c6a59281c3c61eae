"""Secret calendar feed addresses: what a calendar application can subscribe to.

Calendar applications fetch a URL and send no Authorization header, so the
credential is in the address: `/feeds/<secret>/sites/jean-vilar/desk.ics`. A staff
member makes one on the /feeds page and sees the secret once; only its SHA-256 is
stored. It reads the account's calendar feeds with the account's rights (the same
operations as the API's .ics routes), until it is revoked or the account disabled;
then its addresses answer 404, as if they never existed.
"""

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.gateway.authz import STAFF_ROLES, Principal
from services.gateway.models import Account, CalendarFeed

# A subscription's name, as typed on the page ("Téléphone de l'accueil").
MAX_NAME = 100
# "Last used" is written at most this often: calendars poll every few minutes.
USE_RESOLUTION = timedelta(minutes=5)


# The HTTP server's access log writes each request line: the secret of an address stays out.
ACCESS_LOG = "nameko.web.server"
_SECRET_IN_PATH = re.compile(r"/feeds/[^/\s]+/")


class HideFeedSecrets(logging.Filter):
    """Writes "/feeds/…/" in a log line for the secret of a feed address."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/feeds/" in record.msg:
            record.msg = _SECRET_IN_PATH.sub("/feeds/…/", record.msg)
        return True


HIDE_FEED_SECRETS = HideFeedSecrets()
logging.getLogger(ACCESS_LOG).addFilter(HIDE_FEED_SECRETS)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(session: Session, account_id: int, name: str, now: datetime) -> tuple[str, CalendarFeed]:
    """A new feed address for the account (the caller commits): its secret, shown once."""
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        token_hash=_digest(secret), account_id=account_id, name=name[:MAX_NAME], created_at=now
    )
    session.add(feed)
    session.flush()
    return secret, feed


def of_account(session: Session, account_id: int) -> list[CalendarFeed]:
    """The account's feed addresses still in use, the newest first."""
    return list(
        session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.account_id == account_id, CalendarFeed.revoked_at.is_(None))
            .order_by(CalendarFeed.id.desc())
        )
    )


def revoke(session: Session, account_id: int, feed_id: int, now: datetime) -> bool:
    """The account's own feed address stops working; False when it has none of that id."""
    done = session.execute(
        update(CalendarFeed)
        .where(
            CalendarFeed.id == feed_id,
            CalendarFeed.account_id == account_id,
            CalendarFeed.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return done.rowcount == 1


def principal_for(session: Session, secret: str, now: datetime) -> Principal | None:
    """Who made this feed address, with their rights today; None when it is unknown or
    revoked, or the account disabled. Records that it was used."""
    if not secret or len(secret) > 200:
        return None
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _digest(secret)))
    if feed is None or feed.revoked_at is not None:
        return None
    account = session.get(Account, feed.account_id)
    if account is None or account.disabled_at is not None or account.role not in STAFF_ROLES:
        return None
    if feed.last_used_at is None or feed.last_used_at <= now - USE_RESOLUTION:
        feed.last_used_at = now
    return Principal(role=account.role, account_id=account.id, partner_id=account.partner_id)
