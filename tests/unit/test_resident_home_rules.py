"""What a resident's own pages ask of the services, with nameko's worker_factory: an
erasure request becomes one notice for the desk that registered them (a real SQLite
database), and the booking says how long it keeps a returned loan's resident."""

from nameko.testing.services import worker_factory

from services.booking.service import Service as Booking
from services.booking.settings import Settings as BookingSettings
from services.notifications.service import Service

JEAN_VILAR, MISTRAL = 1, 2


def test_an_erasure_request_becomes_one_open_notice_of_the_residents_desk(sqlite_unit_of_work):
    db, _engine = sqlite_unit_of_work("notifications", actor="resident:42")
    notifications = worker_factory(Service, db=db)

    first = notifications.note_erasure_request(JEAN_VILAR, 42)
    again = notifications.note_erasure_request(JEAN_VILAR, 42)

    assert again["id"] == first["id"]
    assert (first["kind"], first["resident_id"], first["done_at"]) == (
        "erasure_requested",
        42,
        None,
    )
    assert [n["id"] for n in notifications.staff_notices(JEAN_VILAR)] == [first["id"]]
    assert notifications.staff_notices(MISTRAL) == []
    notifications.mark_notice_done(first["id"])
    assert notifications.note_erasure_request(JEAN_VILAR, 42)["id"] != first["id"]


def test_the_booking_says_how_long_a_returned_loan_keeps_its_resident():
    booking = worker_factory(Booking, settings=BookingSettings(anonymise_after_days=21))

    assert booking.privacy_terms() == {"anonymise_after_days": 21}
