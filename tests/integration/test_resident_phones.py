"""Residents' phones through the running booking service, on both databases: kept as
typed at the desk and, beside it, in E.164, so that signing in or being found at a
desk by phone reads an index, however the number is written; a number that cannot
be one is refused; a change or an erasure follows everywhere, the migration fills
in the residents registered before it."""

import re
from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import event, text

from partanum import migrate
from partanum.errors import InvalidInput, NotFound
from tests.integration.helpers import call, register
from tests.integration.helpers import database as _database

MISTRAL = 2  # a partner that did not register Amina (helpers.AMINA, "06 12 34 56 78")
AMINAS_NUMBER_WRITTEN = ("+33 6 12 34 56 78", "0033 6 12 34 56 78", "06.12.34.56.78", "0612345678")


def signing_in(desk, phone):
    return call(desk.booking, "find_resident_for_sign_in", {"phone": phone})["resident_id"]


def found(desk, phone):
    return call(desk.booking, "find_resident_at_desk", {"partner_id": MISTRAL, "phone": phone})


@contextmanager
def residents_read(container):
    """Collects the plans of the statements that read `residents` while the block runs:
    how the database finds the rows."""
    engine = _database(container).engine
    statements = []

    def seen(_connection, _cursor, statement, parameters, _context, _executemany):
        if re.search(r"\bresidents\b", statement):
            statements.append((statement, parameters))

    plans = []
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    plans.extend(_plan(engine, statement, parameters) for statement, parameters in statements)


def _plan(engine, statement, parameters):
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return "\n".join(
                row[-1]
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
        # A test's table is tiny: PostgreSQL would read it whole whatever its indexes.
        # Discouraging that shows the index a real table of residents would use.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(
            row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        )


def read_through_the_phone_index(plans) -> bool:
    whole_table = re.compile(r"\bSCAN residents\b|Seq Scan on residents\b")
    return any("ix_residents_phone_e164" in plan for plan in plans) and not any(
        whole_table.search(plan) for plan in plans
    )


# --- looked up by phone -----------------------------------------------------------------------


def test_a_resident_signs_in_by_their_phone_however_it_is_written_through_an_index(desk):
    amina = register(desk)
    register(desk, display_name="Malik", card_number="RS-0043", phone="07 00 00 00 00")

    with residents_read(desk.booking) as plans:
        answers = [signing_in(desk, phone) for phone in AMINAS_NUMBER_WRITTEN]

    assert answers == [amina["id"]] * len(AMINAS_NUMBER_WRITTEN)
    assert read_through_the_phone_index(plans), plans
    assert signing_in(desk, "06 12 34") is None and signing_in(desk, "07 00 00 00 01") is None


def test_a_desk_finds_a_resident_by_their_phone_however_it_is_written_through_an_index(desk):
    amina = register(desk)

    with residents_read(desk.booking) as plans:
        shown = [found(desk, phone) for phone in AMINAS_NUMBER_WRITTEN]

    assert [resident["id"] for resident in shown] == [amina["id"]] * len(AMINAS_NUMBER_WRITTEN)
    assert {resident["phone"] for resident in shown} == {"••••••••78"}  # as typed, masked
    assert read_through_the_phone_index(plans), plans
    with pytest.raises(NotFound):
        found(desk, "06 12 34 56")


def test_residents_sharing_a_phone_are_found_by_it_by_nobody_until_one_of_them_changes_it(desk):
    amina = register(desk)
    salma = register(
        desk, display_name="Salma B.", card_number="RS-0043", phone="+33 6 12 34 56 78"
    )  # the family's phone, written otherwise

    with residents_read(desk.booking) as plans:
        assert signing_in(desk, "06.12.34.56.78") is None
        with pytest.raises(NotFound):
            found(desk, "0033 6 12 34 56 78")
    assert read_through_the_phone_index(plans), plans

    call(desk.booking, "update_resident", salma["id"], {"phone": "07 99 88 77 66"})
    assert signing_in(desk, "0612345678") == amina["id"]
    assert found(desk, "07.99.88.77.66")["id"] == salma["id"]


# --- kept in step -----------------------------------------------------------------------------


def stored_e164(desk, resident_id):
    with desk.db.connect() as connection:
        return connection.execute(
            text("SELECT phone_e164 FROM residents WHERE id = :id"), {"id": resident_id}
        ).scalar()


def test_a_changed_proven_or_erased_phone_finds_the_resident_by_the_new_one_only(desk):
    amina = register(desk)
    assert stored_e164(desk, amina["id"]) == "+33612345678"

    updated = call(desk.booking, "update_resident", amina["id"], {"phone": "07 98 76 54 32"})
    assert updated["phone"] == "07 98 76 54 32" and stored_e164(desk, amina["id"]) == "+33798765432"
    assert (signing_in(desk, "06 12 34 56 78"), signing_in(desk, "+33798765432")) == (
        None,
        amina["id"],
    )

    code = call(desk.booking, "propose_contact_change", amina["id"], {"phone": "07 11 22 33 44"})[
        "code"
    ]
    assert signing_in(desk, "07 11 22 33 44") is None  # not before it is proven
    call(desk.booking, "confirm_contact_change", amina["id"], {"code": code})
    assert stored_e164(desk, amina["id"]) == "+33711223344"
    assert (signing_in(desk, "07 98 76 54 32"), signing_in(desk, "07.11.22.33.44")) == (
        None,
        amina["id"],
    )

    call(desk.booking, "erase_resident", amina["id"])
    assert stored_e164(desk, amina["id"]) is None and signing_in(desk, "07 11 22 33 44") is None


def test_a_phone_that_cannot_be_one_is_refused_by_field_and_changes_nothing(desk):
    with pytest.raises(InvalidInput) as refused:
        register(desk, phone="06 12 34")
    assert set(refused.value.fields) == {"phone"}
    amina = register(desk)

    for not_a_phone in ("06 12 34", "06 12 34 56 78 9"):
        with pytest.raises(InvalidInput) as refused_update:
            call(desk.booking, "update_resident", amina["id"], {"phone": not_a_phone})
        with pytest.raises(InvalidInput) as refused_change:
            call(desk.booking, "propose_contact_change", amina["id"], {"phone": not_a_phone})
        assert set(refused_update.value.fields) == set(refused_change.value.fields) == {"phone"}

    assert call(desk.booking, "get_resident", amina["id"])["phone"] == "06 12 34 56 78"
    with desk.db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM residents")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM contact_changes")).scalar() == 0


def test_erasure_takes_out_a_number_proven_by_a_code_and_replaced_since(desk):
    amina = register(desk)
    code = call(desk.booking, "propose_contact_change", amina["id"], {"phone": "07 11 22 33 44"})[
        "code"
    ]
    call(desk.booking, "confirm_contact_change", amina["id"], {"code": code})
    reservation = call(
        desk.booking,
        "reserve",
        {
            **desk.tuesday,
            "partner_id": 1,
            "asset_tags": ["JV-LAP-002"],
            "note": "Amina: rappeler au 07.11.22.33.44",
        },
    )
    call(desk.booking, "update_resident", amina["id"], {"phone": "06 98 76 54 32"})

    call(desk.booking, "erase_resident", amina["id"])

    with desk.db.connect() as connection:
        note = connection.execute(
            text("SELECT note FROM reservations WHERE id = :id"), {"id": reservation["id"]}
        ).scalar()
    assert note == "Amina: rappeler au [erased]"


# --- the migration ----------------------------------------------------------------------------


def test_the_migration_gives_residents_registered_before_it_their_phone_in_e164(
    database_url, engine_for
):
    cfg = migrate.alembic_config("booking", database_url)
    with engine_for(database_url).connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0005_resident_detail_hashes")
        connection.commit()
    typed = {
        1: "06 12 34 56 78",
        2: "+44 20 7946 0958",
        3: "0033 7.11.22.33.44",
        4: "06 12 34",
        5: None,
    }  # 4: accepted when only the characters were checked
    with engine_for(database_url).begin() as connection:
        for resident_id, phone in typed.items():
            connection.execute(
                text(
                    "INSERT INTO residents (id, display_name, phone, language, channel, consent_at,"
                    " registered_by_partner_id, created_at) VALUES (:id, 'Someone', :phone, 'fr',"
                    " 'sms', :at, 1, :at)"
                ),
                {"id": resident_id, "phone": phone, "at": "2026-11-02 10:00:00"},
            )

    migrate.upgrade("booking", database_url)

    with engine_for(database_url).connect() as connection:
        stored = dict(connection.execute(text("SELECT id, phone_e164 FROM residents")).all())
        kept = dict(connection.execute(text("SELECT id, phone FROM residents")).all())
    assert stored == {1: "+33612345678", 2: "+442079460958", 3: "+33711223344", 4: None, 5: None}
    assert kept == typed
