"""Suggestions managers dismiss, in the gateway's own table (on a real SQLite session
migrated to the latest schema)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from partanum.errors import InvalidInput
from services.gateway import dismissals, operations
from services.gateway.authz import Denied, Principal

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
SUGGESTION = {"item_ids": [3], "from_site_id": 1, "to_site_id": 2, "signature": "a" * 64}


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    migrate.upgrade("gateway", url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_a_dismissed_suggestion_is_kept_once_with_its_first_reason(session):
    dismissals.dismiss(session, SUGGESTION, "ateliers en janvier", "manager:2", NOW)
    session.commit()
    dismissals.dismiss(session, SUGGESTION, "autre raison", "manager:2", NOW)
    session.commit()

    [kept] = dismissals.recent(session)
    assert kept.reason == "ateliers en janvier" and kept.dismissed_by == "manager:2"
    assert dismissals.signatures(session) == {"a" * 64}


@pytest.mark.parametrize(
    "typed, read", [("  pas   utile ", "pas utile"), ("", None), ("ok", None), ("x" * 501, None)]
)
def test_a_reason_is_3_to_500_characters(typed, read):
    assert dismissals.read_reason(typed) == read


class FakeDatabase:
    def __init__(self, session):
        self.session = session

    def transaction(self):
        database = self

        class Transaction:
            session = database.session

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def commit(self):
                database.session.commit()

        return Transaction()


class FakeAudit:
    def __init__(self, proposed):
        self.proposed = proposed

    def suggestions(self, period):
        return self.proposed


class FakeGateway:
    def __init__(self, session, proposed):
        self.db = FakeDatabase(session)
        self.audit = FakeAudit(proposed)


PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
MANAGER = Principal(role="manager", account_id=2)


def test_a_manager_dismisses_a_suggestion_the_audit_proposes(session):
    gateway = FakeGateway(session, [SUGGESTION])

    operations.manage_dismiss_suggestion(gateway, MANAGER, SUGGESTION, PERIOD, "pas utile")

    assert operations.manage_dismissed(gateway, MANAGER)[0] == {"a" * 64}


@pytest.mark.parametrize(
    "who, suggestion, refused",
    [
        (MANAGER, {**SUGGESTION, "item_ids": [3, 4]}, InvalidInput),  # changed on the way
        (Principal(role="admin", account_id=1), SUGGESTION, Denied),  # reads, decides not
        (Principal(role="staff", account_id=5, partner_id=1), SUGGESTION, Denied),
    ],
)
def test_only_a_manager_dismisses_and_only_what_the_audit_proposes(
    session, who, suggestion, refused
):
    gateway = FakeGateway(session, [SUGGESTION])

    with pytest.raises(refused):
        operations.manage_dismiss_suggestion(gateway, who, suggestion, PERIOD, "pas utile")
    assert dismissals.signatures(session) == set()
