"""The audit log on a real SQLite database: a hash chain in append order, each event
once, whatever the order events arrive in; an altered or removed entry is named."""

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from partanum.errors import InvalidInput, load
from partanum.events import make_event, read_event, require
from services.audit import log, schemas
from services.audit.models import AuditEntry, AuditRef
from services.audit.replay import main as replay_cli
from services.audit.verify import main as verify_cli
from services.booking import events as booking_events
from services.inventory import events as inventory_events

require(booking_events, inventory_events)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def audit_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    migrate.upgrade("audit", url)
    return url


@pytest.fixture
def session(audit_url):
    engine = make_engine(audit_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def event(event_type, data, at, actor="staff:1", version=None):
    body = make_event(
        event_type, data, producer=event_type.split(".")[0], actor=actor, version=version
    )
    return {**body, "occurred_at": at.isoformat()}


def week_of_events():
    """A site, two tablets, a reservation of both, a loan, a return and a transfer (the
    last two as logged before events lost staff's words: the log keeps those)."""
    at = [MONDAY + timedelta(hours=h) for h in range(8)]
    return [
        event(
            "inventory.site_registered",
            {
                "site_id": 1,
                "code": "jean-vilar",
                "partner_id": 1,
                "name": "Centre Jean Vilar",
                "address": "",
                "opening_hours": {},
                "closures": [],
            },
            at[0],
        ),
        event(
            "inventory.item_registered",
            {
                "item_id": 17,
                "asset_tag": "JV-TAB-001",
                "category_id": 1,
                "owner_partner_id": 1,
                "site_id": 1,
                "status": "available",
                "make": "Lenovo",
                "model": "Tab M10",
            },
            at[1],
        ),
        event(
            "inventory.item_registered",
            {
                "item_id": 18,
                "asset_tag": "JV-TAB-002",
                "category_id": 1,
                "owner_partner_id": 1,
                "site_id": 1,
                "status": "available",
                "make": "Lenovo",
                "model": "Tab M10",
            },
            at[2],
        ),
        event(
            "booking.reservation_created",
            {
                "reservation_id": 5,
                "partner_id": 2,
                "site_id": 1,
                "item_ids": [17, 18],
                "starts_at": at[5],
                "ends_at": at[6],
            },
            at[3],
            actor="staff:2",
        ),
        event(
            "booking.loan_checked_out",
            {
                "loan_id": 9,
                "item_id": 17,
                "resident_id": 42,
                "site_id": 1,
                "due_at": at[7],
                "overridden": False,
            },
            at[4],
            actor="staff:2",
        ),
        event(
            "booking.loan_checked_in",
            {
                "loan_id": 9,
                "item_id": 17,
                "resident_id": 42,
                "condition": "good",
                "missing_accessories": [],
            },
            at[5],
            version=1,
        ),
        event(
            "inventory.item_transferred",
            {
                "item_id": 18,
                "asset_tag": "JV-TAB-002",
                "from_site_id": 1,
                "to_site_id": 2,
                "from_partner_id": 1,
                "to_partner_id": 1,
                "reason": "atelier du jeudi à Mistral",
            },
            at[6],
            version=1,
        ),
    ]


def append_all(session, envelopes):
    for envelope in envelopes:
        log.append(session, envelope)
    session.commit()


def entries(session):
    return session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()


def test_each_entry_carries_the_hash_of_the_one_before(session):
    append_all(session, week_of_events())

    logged = entries(session)
    assert [e.seq for e in logged] == list(range(1, 8))
    assert logged[0].prev_hash == "0" * 64
    for before, entry in pairwise(logged):
        assert entry.prev_hash == before.hash
    for entry in logged:
        # The chain covers each body's digest, so that a body can be erased (see below).
        assert entry.body_digest == hashlib.sha256(entry.body.encode()).hexdigest()
        assert (
            entry.hash == hashlib.sha256((entry.prev_hash + entry.body_digest).encode()).hexdigest()
        )
    assert log.verify(session) is None


def test_the_body_is_the_envelope_as_canonical_json(session):
    transfer = week_of_events()[-1]
    log.append(session, transfer)

    [entry] = entries(session)
    assert entry.body == json.dumps(
        transfer, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert '"reason":"atelier du jeudi à Mistral"' in entry.body
    assert (entry.event_id, entry.type, entry.producer, entry.actor) == (
        transfer["id"],
        "inventory.item_transferred",
        "inventory",
        "staff:1",
    )
    assert (entry.item_id, entry.site_id, entry.partner_id, entry.resident_id) == (18, 2, 1, None)


def test_a_received_event_is_logged_as_its_producer_built_it():
    for envelope in week_of_events():
        assert log.wire_form(read_event(json.loads(json.dumps(envelope)))) == envelope


def test_an_event_appended_twice_is_logged_once(session):
    events = week_of_events()
    append_all(session, events)

    assert log.append(session, events[3]) is None
    session.commit()
    assert len(entries(session)) == 7
    assert log.verify(session) is None


def test_a_batch_is_chained_as_its_events_one_by_one_and_skips_what_is_logged(session, tmp_path):
    events = week_of_events()
    log.append_many(session, events[:2])
    # Logged already, twice in the batch: each once.
    assert log.append_many(session, [events[1], events[2], events[2], *events[3:]]) == [
        3,
        4,
        5,
        6,
        7,
    ]
    session.commit()

    url = f"sqlite:///{tmp_path / 'one_by_one.sqlite3'}"
    migrate.upgrade("audit", url)
    engine = make_engine(url)
    with Session(engine) as one_by_one:
        append_all(one_by_one, events)
        assert [(e.seq, e.hash) for e in entries(session)] == [
            (e.seq, e.hash) for e in entries(one_by_one)
        ]
    engine.dispose()
    assert log.verify(session) is None


def test_duplicated_or_reordered_events_give_the_same_log_contents(session, tmp_path):
    events = week_of_events()
    append_all(session, events)
    shuffled = events + random.Random(7).sample(events, 4)
    random.Random(3).shuffle(shuffled)
    other_url = f"sqlite:///{tmp_path / 'replayed.sqlite3'}"
    migrate.upgrade("audit", other_url)
    engine = make_engine(other_url)
    with Session(engine) as replayed:
        assert log.replay(replayed, shuffled) == 7
        replayed.commit()

        assert list(log.events(replayed)) == list(log.events(session)) == events
        for filters in ({"item_id": 17}, {"site_id": 2}, {"actor": "staff:2"}):
            assert {e.body for e in log.query(replayed, filters)} == {
                e.body for e in log.query(session, filters)
            }
        assert log.verify(replayed) is None
    engine.dispose()


def test_events_are_read_back_in_the_order_they_occurred(session):
    events = week_of_events()
    append_all(session, reversed(events))

    assert list(log.events(session)) == events
    assert list(log.events(session, until=MONDAY + timedelta(hours=2))) == events[:3]


def test_the_log_is_found_by_item_partner_site_actor_and_period(session):
    events = week_of_events()
    append_all(session, events)

    def types(**filters):
        return [e.type.split(".")[1] for e in log.query(session, filters)]

    assert types(item_id=18) == ["item_registered", "reservation_created", "item_transferred"]
    assert types(site_id=2) == ["item_transferred"]  # where it went
    assert types(partner_id=2) == ["reservation_created"]
    assert types(actor="staff:2") == ["reservation_created", "loan_checked_out"]
    assert types(**{"from": MONDAY + timedelta(hours=4), "to": MONDAY + timedelta(hours=6)}) == [
        "loan_checked_out",
        "loan_checked_in",
    ]
    first_page = log.query(session, {"limit": 3})
    assert [e.seq for e in log.query(session, {"limit": 3, "after_seq": first_page[-1].seq})] == [
        4,
        5,
        6,
    ]
    assert [e.seq for e in log.query(session, {"limit": 3, "offset": 6})] == [7]


def test_an_altered_entry_is_named_by_verify(session, audit_url, capsys):
    append_all(session, week_of_events())
    entry = session.get(AuditEntry, 4)
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.seq == 4)
        .values(body=entry.body.replace('"item_ids":[17,18]', '"item_ids":[17]'))
    )
    session.commit()

    problem = log.verify(session)
    assert (problem.seq, problem.what.split(":")[0]) == (4, "altered")
    session.rollback()  # SQLite: let the command take the database
    assert verify_cli(["--url", audit_url]) == 1
    assert "entry 4: altered" in capsys.readouterr().err


def test_an_entry_rewritten_with_a_new_hash_breaks_the_next_link(session):
    append_all(session, week_of_events())
    entry = session.get(AuditEntry, 3)
    body = entry.body.replace('"staff:1"', '"staff:9"')
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.seq == 3)
        .values(
            body=body,
            actor="staff:9",
            body_digest=log.digest(body),
            hash=log.chain_hash(entry.prev_hash, log.digest(body)),
        )
    )
    session.commit()

    assert log.verify(session).seq == 4


def test_a_changed_search_column_is_detected_even_with_the_body_intact(session):
    append_all(session, week_of_events())
    session.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(actor="staff:9"))
    session.execute(delete(AuditRef).where(AuditRef.seq == 6, AuditRef.kind == "item"))
    session.commit()

    assert str(log.verify(session)) == "entry 5: altered: its actor does not match its body"
    session.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(actor="staff:2"))
    session.commit()
    assert log.verify(session).seq == 6


@pytest.mark.parametrize("removed", [1, 4])
def test_a_removed_entry_is_named_by_verify(session, removed):
    append_all(session, week_of_events())
    remove(session, removed)

    problem = log.verify(session)
    assert (problem.seq, problem.what) == (
        removed,
        f"removed: entry {removed} is missing from the log",
    )


def test_removing_the_last_entry_shows_against_the_head_kept_elsewhere(session):
    append_all(session, week_of_events())
    kept = log.verify_chain(session)
    remove(session, 7)

    now = log.verify_chain(session)
    assert log.verify(session) is None  # nothing follows it to notice
    assert (now.count, now.head_hash) != (kept.count, kept.head_hash)


def remove(session, seq):
    session.execute(delete(AuditRef).where(AuditRef.seq == seq))
    session.execute(delete(AuditEntry).where(AuditEntry.seq == seq))
    session.commit()


def test_a_removed_entry_hidden_by_renumbering_is_detected(session):
    append_all(session, week_of_events())
    session.execute(delete(AuditRef).where(AuditRef.seq >= 4))
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    for seq in (5, 6, 7):
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(seq=seq - 1))
    session.commit()

    problem = log.verify(session)
    assert problem.seq == 4 and problem.what.startswith("removed")


def test_the_cli_says_ok_with_the_count_and_head(session, audit_url, capsys):
    append_all(session, week_of_events())
    head = entries(session)[-1].hash
    session.rollback()

    assert verify_cli(["--url", audit_url]) == 0
    assert capsys.readouterr().out == f"OK: 7 entries, head {head}\n"


def test_a_query_refuses_unknown_fields_and_periods_that_end_first():
    with pytest.raises(InvalidInput) as refused:
        load(schemas.LogQueryIn(), {"item": 3, "actor": "", "limit": 5000})
    assert set(refused.value.fields) == {"item", "actor", "limit"}
    with pytest.raises(InvalidInput) as refused:
        load(
            schemas.LogQueryIn(),
            {"from": "2026-11-30T00:00:00+01:00", "to": "2026-11-01T00:00:00+01:00"},
        )
    assert set(refused.value.fields) == {"to"}


def test_a_suggestion_keeps_its_numbers_as_figures_and_drops_other_fields():
    # Since suggestions are signed, where they come from and their category are part of them.
    signed = {"from_site_id": 1, "category_id": 3, "signature": "ab" * 32}
    loaded = load(
        schemas.SuggestionIn(),
        {
            "item_ids": [17, 18],
            "to_site_id": 2,
            "reason": "Mistral prête deux fois plus",
            **signed,
            "use_rate_from": 0.12,
            "use_rate_to": 0.61,
            "from_site": "jean-vilar",
        },
    )
    assert loaded == {
        "item_ids": [17, 18],
        "to_site_id": 2,
        "reason": "Mistral prête deux fois plus",
        **signed,
        "figures": {"use_rate_from": 0.12, "use_rate_to": 0.61},
    }
    with pytest.raises(InvalidInput) as refused:
        load(schemas.SuggestionIn(), {"item_ids": [17, 17], "reason": "", **signed})
    assert set(refused.value.fields) == {"item_ids", "to_site_id", "reason"}


def test_an_exported_log_loaded_into_an_empty_one_gives_back_the_same_chain(
    session, audit_url, tmp_path, capsys
):
    append_all(session, week_of_events())
    original = [(e.seq, e.hash) for e in entries(session)]
    session.rollback()
    assert replay_cli(["--url", audit_url, "export"]) == 0
    exported = tmp_path / "audit.jsonl"
    exported.write_text(capsys.readouterr().out)
    rebuilt = f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}"

    assert replay_cli(["--url", rebuilt, "load", str(exported)]) == 0
    assert replay_cli(["--url", rebuilt, "load", str(exported)]) == 0  # loaded again: nothing new

    assert capsys.readouterr().out.splitlines() == [
        "appended 7 of 7 events (the others were logged already)",
        "figures rebuilt for 2 items",
        "appended 0 of 7 events (the others were logged already)",
        "figures rebuilt for 2 items",
    ]
    engine = make_engine(rebuilt)
    with Session(engine) as copy:
        assert [(e.seq, e.hash) for e in entries(copy)] == original
    engine.dispose()
