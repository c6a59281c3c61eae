"""What the administrator's page of the kinds of devices reads: each kind's loan
policy, the defaults where none was set. The booking's entrypoint with worker_factory,
over a real SQLite database."""

import pytest
from nameko.testing.services import worker_factory

from partanum.errors import InvalidInput
from services.booking import domain
from services.booking.service import Service
from services.booking.settings import Settings


@pytest.fixture
def booking(sqlite_unit_of_work):
    db, _ = sqlite_unit_of_work("booking", actor="admin:1")
    return worker_factory(Service, db=db, settings=Settings())


def test_each_kind_reads_its_own_policy_or_the_defaults(booking):
    booking.set_category_policy(2, {"loan_days": 7, "max_renewals": 0})

    assert booking.category_policies([1, 2]) == [
        {
            "category_id": 1,
            "loan_days": domain.DEFAULT_LOAN_DAYS,
            "max_renewals": domain.DEFAULT_MAX_RENEWALS,
        },
        {"category_id": 2, "loan_days": 7, "max_renewals": 0},
    ]


def test_an_id_that_is_not_a_number_is_named(booking):
    with pytest.raises(InvalidInput) as refused:
        booking.category_policies(["1"])

    assert "category_ids" in refused.value.fields
