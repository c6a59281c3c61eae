"""Erasing a resident reaches the audit log: the bodies of the entries naming them
are erased, their digests stay in the chain, so the log still verifies and
tampering is still named. A log chained before digests is re-chained by its
migration, and verifies. On SQLite and PostgreSQL."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.events import make_event, require
from services.audit import log
from services.inventory import events as inventory_events
from tests.integration.helpers import call, entries, lend, register, verify_command
from tests.waiting import wait_until

require(inventory_events)

ERASURES = ("booking.resident_erased", "audit.payloads_erased")


def test_erasing_a_resident_erases_the_bodies_naming_them_and_the_log_still_verifies(desk, audit):
    amina = register(desk)
    lend(desk, amina["id"])
    call(desk.booking, "check_in", {"asset_tag": "JV-LAP-001", "condition": "good"})
    wait_until(lambda: entries(audit, type="booking.loan_checked_in"), what="the return in the log")

    call(desk.booking, "erase_resident", amina["id"])

    [erasure] = wait_until(lambda: entries(audit, type="audit.payloads_erased"), what="the erasure")
    named = [
        e for e in entries(audit) if e["resident_id"] == amina["id"] and e["type"] not in ERASURES
    ]
    assert {e["type"] for e in named} >= {
        "booking.resident_registered",
        "booking.loan_checked_out",
        "booking.loan_checked_in",
    }
    assert [e["data"] for e in named] == [None] * len(named)
    assert erasure["data"] == {"resident_id": amina["id"], "seqs": [e["seq"] for e in named]}
    assert call(audit.container, "verify_log")["ok"] is True
    assert verify_command(audit.url).returncode == 0
    assert call(audit.container, "erase_payloads", {"resident_id": amina["id"]}) == {"erased": []}

    # A body removed without an erasure on record, or altered, is still named.
    others = [
        e["seq"] for e in entries(audit) if e["data"] is not None and e["type"] not in ERASURES
    ]
    with audit.db.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET body = '' WHERE seq = :s"), {"s": others[0]}
        )
    assert call(audit.container, "verify_log")["first_bad"] == {
        "seq": others[0],
        "problem": "erased without a recorded erasure: its body is missing",
    }


def test_an_erased_entry_whose_digest_is_changed_breaks_the_chain(desk, audit):
    amina = register(desk)
    call(desk.booking, "erase_resident", amina["id"])
    [erasure] = wait_until(lambda: entries(audit, type="audit.payloads_erased"), what="the erasure")
    [seq] = erasure["data"]["seqs"]

    with audit.db.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET body_digest = :d WHERE seq = :s"),
            {"d": "0" * 64, "s": seq},
        )

    assert call(audit.container, "verify_log")["first_bad"] == {
        "seq": seq,
        "problem": "altered: its hash does not match its contents",
    }


# --- a log chained before digests --------------------------------------------------------------


def old_chain(connection, count):
    """Entries as the first schema chained them: hash = sha256(prev_hash + body)."""
    prev = "0" * 64
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for n in range(1, count + 1):
        envelope = make_event(
            "inventory.item_status_changed",
            {
                "item_id": n,
                "asset_tag": f"JV-TAB-{n:03d}",
                "from_status": "available",
                "to_status": "in_maintenance",
                "reason": "écran cassé par Amina, 06 12 34 56 78",
            },
            producer="inventory",
            actor="staff:1",
            version=1,
        )
        envelope["occurred_at"] = (at + timedelta(minutes=n)).isoformat()
        body = log.canonical(envelope)
        digest = hashlib.sha256((prev + body).encode()).hexdigest()
        connection.execute(
            text(
                "INSERT INTO audit_entries (seq, event_id, type, producer, version, occurred_at, recorded_at,"
                " actor, item_id, body, prev_hash, hash) VALUES (:seq, :id, :type, 'inventory', 1, :at, :at,"
                " 'staff:1', :item, :body, :prev, :hash)"
            ),
            {
                "seq": n,
                "id": envelope["id"],
                "type": envelope["type"],
                "at": at + timedelta(minutes=n),
                "item": n,
                "body": body,
                "prev": prev,
                "hash": digest,
            },
        )
        connection.execute(
            text("INSERT INTO audit_refs (seq, kind, ref_id) VALUES (:s, 'item', :s)"), {"s": n}
        )
        prev = digest
    return prev


def at_first_schema(url, engine_for):
    cfg = migrate.alembic_config("audit", url)
    with engine_for(url).connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
        connection.commit()


def test_a_log_chained_before_digests_is_rechained_and_verifies(database_url, engine_for):
    at_first_schema(database_url, engine_for)
    with engine_for(database_url).begin() as connection:
        old_head = old_chain(connection, 30)

    migrate.upgrade("audit", database_url)

    with Session(engine_for(database_url)) as session:
        verified = log.verify_chain(session)
        assert (verified.count, verified.head_hash != old_head) == (30, True)
        bodies = (
            session.execute(text("SELECT body FROM audit_entries ORDER BY seq")).scalars().all()
        )
    assert [json.loads(body)["data"]["item_id"] for body in bodies] == list(range(1, 31))


def test_a_log_tampered_with_before_digests_is_not_rechained(database_url, engine_for):
    at_first_schema(database_url, engine_for)
    with engine_for(database_url).begin() as connection:
        old_chain(connection, 5)
        connection.execute(
            text(
                "UPDATE audit_entries SET actor = 'staff:9', "
                "body = replace(body, 'staff:1', 'staff:9') WHERE seq = 3"
            )
        )

    with pytest.raises(RuntimeError, match="broken at entry 3"):
        migrate.upgrade("audit", database_url)
