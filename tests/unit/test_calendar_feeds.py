"""Secret calendar feed addresses, on a real SQLite session: stored as a digest only,
standing for the account that made them, until revoked or the account disabled."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from services.gateway import calendar_feeds
from services.gateway.models import Account, CalendarFeed

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    migrate.upgrade("gateway", url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def staff(session, email="ines@jean-vilar.example", partner_id=3):
    # No password hashed: none is checked here, and an Argon2 hash takes its time.
    account = Account(
        email=email,
        display_name="Inès",
        role="staff",
        partner_id=partner_id,
        password_hash="-",
        created_at=NOW,
    )
    session.add(account)
    session.commit()
    return account


def test_an_address_is_stored_as_its_digest_and_stands_for_its_maker(session):
    account = staff(session)
    secret, feed = calendar_feeds.create(session, account.id, "Téléphone de l'accueil", NOW)
    session.commit()

    stored = session.scalars(select(CalendarFeed.token_hash)).all()
    assert secret not in stored and len(stored[0]) == 64
    who = calendar_feeds.principal_for(session, secret, NOW)
    assert (who.role, who.account_id, who.partner_id) == ("staff", account.id, 3)
    assert feed.last_used_at == NOW
    assert calendar_feeds.principal_for(session, secret + "x", NOW) is None


def test_use_is_written_down_at_most_every_few_minutes(session):
    account = staff(session)
    secret, feed = calendar_feeds.create(session, account.id, "Bureau", NOW)
    calendar_feeds.principal_for(session, secret, NOW)
    calendar_feeds.principal_for(session, secret, NOW + timedelta(minutes=1))
    assert feed.last_used_at == NOW
    later = NOW + calendar_feeds.USE_RESOLUTION
    calendar_feeds.principal_for(session, secret, later)
    assert feed.last_used_at == later


def test_a_revoked_address_stands_for_nobody_and_only_its_maker_revokes_it(session):
    mine, theirs = staff(session), staff(session, "leo@mistral.example", partner_id=4)
    secret, feed = calendar_feeds.create(session, mine.id, "Bureau", NOW)

    assert not calendar_feeds.revoke(session, theirs.id, feed.id, NOW)
    assert calendar_feeds.principal_for(session, secret, NOW) is not None
    assert calendar_feeds.revoke(session, mine.id, feed.id, NOW)

    assert calendar_feeds.principal_for(session, secret, NOW) is None
    assert calendar_feeds.of_account(session, mine.id) == []


def test_an_address_of_a_disabled_account_stands_for_nobody(session):
    account = staff(session)
    secret, _ = calendar_feeds.create(session, account.id, "Bureau", NOW)
    account.disabled_at = NOW
    session.commit()

    assert calendar_feeds.principal_for(session, secret, NOW) is None


def test_each_account_lists_its_own_addresses_only(session):
    mine, theirs = staff(session), staff(session, "leo@jean-vilar.example")
    calendar_feeds.create(session, mine.id, "Le mien", NOW)
    calendar_feeds.create(session, theirs.id, "Le sien", NOW)

    assert [feed.name for feed in calendar_feeds.of_account(session, mine.id)] == ["Le mien"]


def test_the_access_log_never_writes_the_secret_of_an_address(caplog):
    secret = "s3cr3t-Token_value"
    with caplog.at_level(logging.INFO, logger=calendar_feeds.ACCESS_LOG):
        logging.getLogger(calendar_feeds.ACCESS_LOG).info(
            f'127.0.0.1 - - "GET /feeds/{secret}/sites/jean-vilar/desk.ics HTTP/1.1" 200'
        )

    assert secret not in caplog.text
    assert "GET /feeds/…/sites/jean-vilar/desk.ics" in caplog.text
