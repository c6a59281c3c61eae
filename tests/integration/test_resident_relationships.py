"""Which partners reach a resident, and mandates to act for them, through the running
booking service on both databases: an id alone opens nothing, a desk finds a
resident by the whole card or phone number they present, a name search stays
within the partner's own residents, and a mandate covers what it says until it
expires or is withdrawn."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from partanum.errors import InvalidInput, NotFound
from services.booking import relationships
from tests.integration.helpers import call, lend, register, run_job

JEAN_VILAR, MISTRAL = 1, 2  # partner ids, in the order register_network registers them


def found(desk, partner_id, **presented):
    return call(desk.booking, "find_resident_at_desk", {"partner_id": partner_id, **presented})


def in_days(days):
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def mandate(desk, resident_id, partner_id=JEAN_VILAR, scopes=("loans",), days=30):
    return call(
        desk.booking,
        "record_mandate",
        {
            "resident_id": resident_id,
            "partner_id": partner_id,
            "scopes": list(scopes),
            "expires_at": in_days(days),
        },
    )


def valid(desk, resident_id, partner_id, *scopes):
    return call(
        desk.booking,
        "valid_mandate",
        {"resident_id": resident_id, "partner_id": partner_id, "scopes": list(scopes)},
    )["mandate_id"]


# --- relationships --------------------------------------------------------------------------


def test_another_partner_reaches_a_resident_by_id_only_once_its_desk_found_them(desk, events_seen):
    listen = events_seen("booking.resident_found_at_desk")
    amina = register(desk)  # registered at Jean Vilar

    with pytest.raises(NotFound):
        call(desk.booking, "get_resident", amina["id"], MISTRAL)
    seen = found(desk, MISTRAL, card_number="RS-0042")
    again = found(desk, MISTRAL, phone="+33 6 12 34 56 78")

    assert seen["id"] == again["id"] == amina["id"] and seen["view"] == "masked"
    assert call(desk.booking, "get_resident", amina["id"], MISTRAL)["view"] == "masked"
    assert call(desk.booking, "resident_partners", amina["id"])["partner_ids"] == [
        JEAN_VILAR,
        MISTRAL,
    ]
    (event,) = listen.wait(1)
    assert event["data"] == {"resident_id": amina["id"], "partner_id": MISTRAL, "how": "card"}


def test_a_partner_sees_contact_details_masked_unless_it_registered_the_resident_or_lends_to_them(
    desk,
):
    amina = register(desk, email="amina@example.org", registered_by_partner_id=MISTRAL)

    shown = found(desk, JEAN_VILAR, card_number="RS-0042")
    assert shown["display_name"] == "Amina B."
    assert shown["phone"] == "••••••••78" and shown["email"] == "a•••@example.org"
    assert shown["card_number"] == "••••42"
    assert call(desk.booking, "get_resident", amina["id"], MISTRAL)["phone"] == "06 12 34 56 78"

    loan = lend(desk, amina["id"])
    assert call(desk.booking, "get_resident", amina["id"], JEAN_VILAR)["view"] == "full"
    call(desk.booking, "check_in", {"asset_tag": loan["asset_tag"], "condition": "good"})
    assert call(desk.booking, "get_resident", amina["id"], JEAN_VILAR)["view"] == "masked"


def test_a_desk_finds_a_resident_only_by_their_whole_card_or_phone_number(desk):
    amina = register(desk)
    register(desk, display_name="Salma B.", card_number="RS-0043")  # the same family phone

    # Part of a number finds nobody; nor does a phone two residents share.
    for presented in (
        {"card_number": "RS-004"},
        {"card_number": "RS-00421"},
        {"phone": "06 12 34 56"},
        {"phone": "06 12 34 56 78"},
    ):
        with pytest.raises(NotFound):
            found(desk, MISTRAL, **presented)
    with pytest.raises(InvalidInput) as refused:
        found(desk, MISTRAL)
    assert set(refused.value.fields) == {"_schema"}
    with pytest.raises(NotFound):
        call(desk.booking, "get_resident", amina["id"], MISTRAL)


def test_a_name_search_covers_only_the_residents_a_partner_registered_or_lent_to(desk):
    register(desk)  # Amina, at Jean Vilar
    yusuf = register(
        desk, display_name="Yusuf K.", card_number="RS-0043", registered_by_partner_id=MISTRAL
    )
    found(desk, JEAN_VILAR, card_number="RS-0043")

    def names(filters):
        return [r["display_name"] for r in call(desk.booking, "list_residents", filters)["items"]]

    assert names({"partner_id": MISTRAL, "search": "amina"}) == []
    assert names({"partner_id": MISTRAL, "search": "rs-0042"}) == []
    assert names({"partner_id": JEAN_VILAR, "search": "yusuf"}) == []
    lend(desk, yusuf["id"])
    (listed,) = call(desk.booking, "list_residents", {"partner_id": JEAN_VILAR, "search": "yusuf"})[
        "items"
    ]
    assert listed["id"] == yusuf["id"] and listed["view"] == "full"


def test_a_found_resident_is_forgotten_after_the_anonymisation_delay_and_on_erasure(desk):
    amina = register(desk)
    yusuf = register(desk, display_name="Yusuf K.", card_number="RS-0043", phone="07 00 00 00 01")
    found(desk, MISTRAL, card_number="RS-0042")
    found(desk, MISTRAL, card_number="RS-0043")
    mandate(desk, yusuf["id"], MISTRAL)
    now = datetime.now(UTC)

    call(desk.booking, "erase_resident", yusuf["id"])
    run_job(desk.booking, relationships.forget_found, now - timedelta(days=1))
    still = call(desk.booking, "get_resident", amina["id"], MISTRAL)
    rows_left = rows(desk)
    run_job(desk.booking, relationships.forget_found, now + timedelta(seconds=1))

    assert still["view"] == "masked" and rows_left == (1, 0)
    with pytest.raises(NotFound):
        call(desk.booking, "get_resident", amina["id"], MISTRAL)


def rows(desk):
    """How many residents found at a desk, and how many mandates, the database holds."""
    with desk.db.connect() as connection:
        return tuple(
            connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM residents_found), (SELECT count(*) FROM mandates)"
                )
            ).one()
        )


# --- mandates -----------------------------------------------------------------------------------


def test_a_mandate_covers_its_scopes_until_it_expires_or_is_withdrawn(desk, events_seen):
    listen = events_seen("booking.mandate_recorded", "booking.mandate_withdrawn")
    amina = register(desk)

    made = mandate(desk, amina["id"], scopes=("loans", "data"), days=365)

    assert valid(desk, amina["id"], JEAN_VILAR, "data") == made["id"]
    assert valid(desk, amina["id"], JEAN_VILAR, "contact") is None
    assert valid(desk, amina["id"], JEAN_VILAR, "contact", "loans") == made["id"]
    assert made["recorded_by"] == "staff:1" and made["scopes"] == ["data", "loans"]
    withdrawn = call(desk.booking, "withdraw_mandate", made["id"], actor="resident:1")
    assert withdrawn["withdrawn_at"] is not None
    assert valid(desk, amina["id"], JEAN_VILAR, "data") is None
    assert call(desk.booking, "withdraw_mandate", made["id"]) == withdrawn  # nothing more
    recorded, ended = listen.wait(2)
    assert (
        recorded["type"] == "booking.mandate_recorded"
        and ended["type"] == "booking.mandate_withdrawn"
    )
    assert set(recorded["data"]) == {
        "mandate_id",
        "resident_id",
        "partner_id",
        "scopes",
        "expires_at",
    }
    assert ended["data"] == {
        "mandate_id": made["id"],
        "resident_id": amina["id"],
        "partner_id": JEAN_VILAR,
    }
    assert ended["actor"] == "resident:1"


def test_an_expired_mandate_covers_nothing_and_a_mandate_lasts_at_most_a_year(desk):
    amina = register(desk)
    made = mandate(desk, amina["id"], scopes=("data",))
    with desk.db.begin() as connection:
        past = datetime.now(UTC) - timedelta(minutes=1)
        connection.execute(
            text("UPDATE mandates SET expires_at = :at"),
            {"at": past if desk.db.dialect.name != "sqlite" else past.replace(tzinfo=None)},
        )

    assert valid(desk, amina["id"], JEAN_VILAR, "data") is None
    for days, scopes in ((366, ["data"]), (-1, ["data"]), (30, ["everything"]), (30, [])):
        with pytest.raises(InvalidInput) as refused:
            mandate(desk, amina["id"], scopes=scopes, days=days)
        assert set(refused.value.fields) <= {"expires_at", "scopes"}, refused.value.fields
    listed = call(desk.booking, "list_mandates", amina["id"])
    assert [m["id"] for m in listed] == [made["id"]]


def test_only_a_related_partner_records_a_mandate_and_each_lists_its_own(desk):
    amina = register(desk)

    with pytest.raises(NotFound):
        mandate(desk, amina["id"], MISTRAL)
    with pytest.raises(NotFound):
        valid(desk, amina["id"], MISTRAL, "loans")
    found(desk, MISTRAL, phone="0612345678")
    theirs = mandate(desk, amina["id"], MISTRAL)
    ours = mandate(desk, amina["id"], JEAN_VILAR, scopes=("contact",))

    assert [m["id"] for m in call(desk.booking, "list_mandates", amina["id"], MISTRAL)] == [
        theirs["id"]
    ]
    assert [m["id"] for m in call(desk.booking, "list_mandates", amina["id"])] == [
        ours["id"],
        theirs["id"],
    ]


def test_a_resident_with_neither_phone_nor_email_is_registered_with_a_mandate_to_serve_them(desk):
    nobody_to_call = {
        "display_name": "Nadia S.",
        "phone": None,
        "email": None,
        "channel": "none",
        "card_number": None,
    }
    with pytest.raises(InvalidInput) as refused:
        register(desk, **nobody_to_call)

    nadia = register(
        desk, **nobody_to_call, mandate={"scopes": ["loans", "data"], "expires_at": in_days(365)}
    )
    loan = lend(desk, nadia["id"])
    renamed = call(desk.booking, "update_resident", nadia["id"], {"language": "fr"})

    assert set(refused.value.fields) == {"phone", "email"}
    (given,) = call(desk.booking, "list_mandates", nadia["id"])
    assert given["partner_id"] == JEAN_VILAR and given["scopes"] == ["data", "loans"]
    assert valid(desk, nadia["id"], JEAN_VILAR, "loans") == given["id"]
    assert loan["resident_id"] == nadia["id"] and renamed["phone"] is None
