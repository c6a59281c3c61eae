"""The deadline rule (partanum.deadline): a call's time left is split between its wait
in the queue and the service's work, and a unit of work past its deadline commits
nothing. The inventory's entrypoints with worker_factory and a real SQLite database."""

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from partanum import deadline
from partanum.dependencies import UnitOfWork
from partanum.errors import DeadlinePassed
from partanum.tables import outbox
from services.inventory.models import Partner
from services.inventory.service import Service

MAIRIE = {"code": "mairie", "name": "Mairie de quartier"}


@pytest.mark.parametrize("time_left", [0.2, 15.0, 120.0])
def test_a_call_taken_up_at_the_last_moment_it_may_wait_still_commits_before_its_caller_gives_up(
    time_left,
):
    longest_wait_in_queue, budget = deadline.split(time_left)

    assert longest_wait_in_queue + budget < time_left
    assert budget > 0


def inventory_with(sqlite_unit_of_work, call_deadline):
    wakes = []
    _, engine = sqlite_unit_of_work("inventory")
    db = UnitOfWork(
        sessionmaker(engine, expire_on_commit=False),
        "inventory",
        "staff:7",
        lambda: wakes.append(1),
        call_deadline,
    )
    return worker_factory(Service, db=db), engine, wakes


def stored(engine):
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(Partner)).scalar(),
            connection.execute(select(func.count()).select_from(outbox)).scalar(),
        )


def test_past_its_deadline_a_change_is_not_committed_and_its_event_not_published(
    sqlite_unit_of_work,
):
    inventory, engine, wakes = inventory_with(sqlite_unit_of_work, deadline.Deadline.after(-0.001))

    with pytest.raises(DeadlinePassed):
        inventory.register_partner(MAIRIE)

    assert stored(engine) == (0, 0)
    assert wakes == []  # the relay has nothing to publish


def test_within_its_deadline_a_change_is_committed_with_its_event(sqlite_unit_of_work):
    inventory, engine, wakes = inventory_with(sqlite_unit_of_work, deadline.Deadline.after(30))

    inventory.register_partner(MAIRIE)

    assert stored(engine) == (1, 1)
    assert wakes == [1]
