"""The desk's queue reads only the caller's own desk: its loans, places in line,
notices and undelivered messages are asked for with the caller's partner, a notice
of another desk is not found, and a resident is named only where Scope.resident
shows them (operations.py, on small fakes of the services)."""

from datetime import UTC, datetime

import pytest

from partanum.errors import NotFound
from services.gateway import operations
from services.gateway.authz import Denied, Principal

JEAN_VILAR, MISTRAL = 1, 2
JV_DESK = Principal(role="staff", account_id=12, partner_id=JEAN_VILAR)
MANAGER = Principal(role="manager", account_id=2)
AMINA = Principal(role="resident", resident_id=7)


class Booking:
    def __init__(self):
        self.asked = []

    def list_loans(self, filters):
        self.asked.append(filters)
        return {"items": [], "total": 0}

    def list_waiting_entries(self, filters):
        self.asked.append(filters)
        return {"items": [], "total": 0}

    def get_resident(self, resident_id, partner_id=None):
        if partner_id == JEAN_VILAR and resident_id == 7:
            return {"id": 7, "display_name": "Amina B.", "view": "masked"}
        raise NotFound("resident", resident_id)


class Notifications:
    def __init__(self):
        self.asked, self.done = [], []

    def staff_notices(self, partner_id, include_done=False):
        return [{"id": 30 + partner_id, "partner_id": partner_id, "kind": "call_resident"}]

    def mark_notice_done(self, notice_id):
        self.done.append(notice_id)
        return {"id": notice_id}

    def delivery_log(self, filters):
        self.asked.append(filters)
        return [
            {"id": 1, "recipient": "resident:7", "resident_id": 7},
            {"id": 2, "recipient": f"partner:{filters['partner_id']}", "resident_id": None},
        ]


class Service:
    def __init__(self):
        self.booking, self.notifications = Booking(), Notifications()


def test_the_queue_asks_only_for_the_callers_own_desk():
    service = Service()
    operations.overdue_loans(service, JV_DESK)
    operations.desk_waiting_entries(service, JV_DESK, "held")
    failed = operations.undelivered_messages(service, JV_DESK, datetime(2026, 12, 1, tzinfo=UTC))

    assert [asked["partner_id"] for asked in service.booking.asked] == [JEAN_VILAR, JEAN_VILAR]
    assert service.booking.asked[0]["overdue"] is True
    assert service.booking.asked[1]["status"] == "held"
    assert service.notifications.asked[0]["partner_id"] == JEAN_VILAR
    assert service.notifications.asked[0]["status"] == "failed"
    assert [message["id"] for message in failed] == [1]  # to residents only


@pytest.mark.parametrize("who", [MANAGER, AMINA])
def test_only_staff_have_a_desks_queue(who):
    service = Service()
    for read in (
        lambda: operations.overdue_loans(service, who),
        lambda: operations.desk_waiting_entries(service, who, "waiting"),
        lambda: operations.desk_notices(service, who),
    ):
        with pytest.raises(Denied):
            read()
    assert service.booking.asked == []


def test_another_desks_notice_is_not_found_and_stays_as_it_was():
    service = Service()
    with pytest.raises(Denied):
        operations.mark_notice_done(service, JV_DESK, 30 + MISTRAL)
    operations.mark_notice_done(service, JV_DESK, 30 + JEAN_VILAR)

    assert service.notifications.done == [30 + JEAN_VILAR]


def test_a_resident_is_named_only_where_the_desk_may_see_them():
    service = Service()
    assert operations.resident_seen(service, JV_DESK, 7)["display_name"] == "Amina B."
    assert operations.resident_seen(service, JV_DESK, 8) is None
    assert operations.resident_seen(service, JV_DESK, None) is None
