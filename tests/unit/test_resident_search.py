"""The booking's search among a partner's residents, with nameko's worker_factory
and a real SQLite database: staff find a resident by part of their name, or by
the whole card or phone number the resident gives them."""

from datetime import UTC, datetime

import pytest
from nameko.testing.services import worker_factory

from services.booking.models import Resident
from services.booking.service import Service

JEAN_VILAR, MISTRAL = 1, 2


@pytest.fixture
def booking(sqlite_unit_of_work):
    db, _engine = sqlite_unit_of_work("booking")
    now = datetime.now(UTC)
    with db.transaction() as tx:
        for name, phone, card, partner in (
            ("Amina B.", "06 12 34 56 78", "RS-0042", JEAN_VILAR),
            ("Yusuf K.", "+33 7 11 22 33 44", None, JEAN_VILAR),
            ("Nadia S.", "07 99 88 77 66", "RS-0044", MISTRAL),
        ):
            tx.session.add(
                Resident(
                    display_name=name,
                    phone=phone,
                    card_number=card,
                    registered_by_partner_id=partner,
                    consent_at=now,
                    created_at=now,
                )
            )
        tx.commit()
    return worker_factory(Service, db=db)


def names(booking, **filters):
    return [resident["display_name"] for resident in booking.list_residents(filters)["items"]]


def test_a_resident_is_found_by_their_whole_phone_number_however_it_is_written(booking):
    for written in ("07 11 22 33 44", "0711223344", "+33711223344", "0033 7 11 22 33 44"):
        assert names(booking, partner_id=JEAN_VILAR, search=written) == ["Yusuf K."]
    assert names(booking, partner_id=JEAN_VILAR, search="06.12.34.56.78") == ["Amina B."]


def test_part_of_a_phone_number_or_another_partners_resident_finds_nobody(booking):
    assert names(booking, partner_id=JEAN_VILAR, search="33 44") == []
    assert names(booking, partner_id=JEAN_VILAR, search="07 99 88 77 66") == []
    assert names(booking, partner_id=MISTRAL, search="07 99 88 77 66") == ["Nadia S."]


def test_names_and_whole_card_numbers_are_still_found(booking):
    assert names(booking, partner_id=JEAN_VILAR, search="yus") == ["Yusuf K."]
    assert names(booking, partner_id=JEAN_VILAR, search="rs-0042") == ["Amina B."]
