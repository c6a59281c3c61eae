"""A partner, a site or a kind of device named wrong at creation is renamed (a site's
address corrected too): the inventory checks the new name as at creation and tells
the others with ids and the public name only; the services that keep a copy of a
site's name (notifications, the audit's reports) take the new one. Real RabbitMQ,
SQLite and PostgreSQL."""

import json

import eventlet
import pytest
from sqlalchemy import select, text

from partanum import migrate
from partanum.errors import InvalidInput, NotFound
from services.notifications.models import Site
from tests.integration.helpers import call, lock_waits, register_network
from tests.waiting import wait_until

RENAMED = ("inventory.partner_renamed", "inventory.site_renamed", "inventory.category_renamed")


def ids(inventory, listing):
    return {row["code"]: row["id"] for row in call(inventory, listing)}


def test_a_rename_keeps_the_code_and_is_told_with_ids_and_the_name(inventory, events_seen):
    register_network(inventory)
    listen = events_seen(*RENAMED)
    partner_id = ids(inventory, "list_partners")["jean-vilar"]
    category_id = ids(inventory, "list_categories")["tablet"]

    partner = call(inventory, "rename_partner", partner_id, {"name": "Centre social Jean Vilar"})
    site = call(inventory, "change_site", "jean-vilar", {"address": "3 place Jean XXIII, Angers"})
    category = call(inventory, "rename_category", category_id, {"name": "Tablette tactile"})

    assert (partner["code"], partner["name"]) == ("jean-vilar", "Centre social Jean Vilar")
    assert (site["name"], site["address"]) == ("Centre Jean Vilar", "3 place Jean XXIII, Angers")
    assert site["opening_hours"]["monday"] == [["13:30", "18:30"]]  # unchanged
    assert (category["code"], category["name"]) == ("tablet", "Tablette tactile")
    assert {p["name"] for p in call(inventory, "list_partners")} >= {"Centre social Jean Vilar"}
    told = {event["type"]: event["data"] for event in listen.wait(3)}
    assert told["inventory.partner_renamed"] == {
        "partner_id": partner_id,
        "code": "jean-vilar",
        "name": "Centre social Jean Vilar",
    }
    assert told["inventory.category_renamed"] == {
        "category_id": category_id,
        "code": "tablet",
        "name": "Tablette tactile",
    }
    # A site's events carry its whole state, so that a copy keeps the newest one.
    assert told["inventory.site_renamed"]["address"] == "3 place Jean XXIII, Angers"
    assert told["inventory.site_renamed"]["opening_hours"] == site["opening_hours"]


def test_the_same_name_again_is_no_news(inventory, events_seen):
    register_network(inventory)
    listen = events_seen(*RENAMED, "inventory.category_registered")
    category_id = ids(inventory, "list_categories")["tablet"]

    call(inventory, "rename_category", category_id, {"name": "Tablette"})
    call(inventory, "change_site", "mistral", {"name": "Espace Frédéric Mistral"})
    call(inventory, "register_category", {"code": "laptop", "name": "Ordinateur portable"})

    # The registration after them comes alone: the two calls that changed nothing told nothing.
    assert [event["type"] for event in listen.wait(1)] == ["inventory.category_registered"]


@pytest.mark.parametrize(
    "name",
    ["Jean Vilar, 06 12 34 56 78", "Appelez jean@vilar.fr", "", "x" * 301],
)
def test_a_name_that_is_not_a_public_name_is_refused_by_field(inventory, name):
    register_network(inventory)
    partner_id = ids(inventory, "list_partners")["jean-vilar"]
    category_id = ids(inventory, "list_categories")["tablet"]

    for method, key, payload in (
        ("rename_partner", partner_id, {"name": name}),
        ("change_site", "jean-vilar", {"name": name}),
        ("change_site", "jean-vilar", {"address": name}),
        ("rename_category", category_id, {"name": name}),
    ):
        with pytest.raises(InvalidInput) as refused:
            call(inventory, method, key, payload)
        assert list(refused.value.fields) == list(payload), (method, payload)

    assert call(inventory, "get_partner", partner_id)["name"] == "Centre Jean Vilar"
    assert call(inventory, "get_site", "jean-vilar")["name"] == "Centre Jean Vilar"


def test_what_does_not_exist_is_not_found_and_an_empty_change_is_refused(inventory):
    register_network(inventory)

    with pytest.raises(NotFound):
        call(inventory, "rename_partner", 987654, {"name": "Personne"})
    with pytest.raises(NotFound):
        call(inventory, "rename_category", 987654, {"name": "Rien"})
    with pytest.raises(NotFound):
        call(inventory, "change_site", "nowhere", {"name": "Nulle part"})
    with pytest.raises(InvalidInput):
        call(inventory, "change_site", "jean-vilar", {})
    with pytest.raises(InvalidInput) as refused:
        call(inventory, "rename_partner", "jean-vilar", {"name": "Centre"})
    assert list(refused.value.fields) == ["partner_id"]


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_a_rename_waits_for_a_change_of_hours_and_tells_the_state_with_both(
    inventory, inventory_db, engine_for, events_seen
):
    """Each change of a site tells its whole state: a rename made while its hours
    change waits for them, so that its event holds both. On PostgreSQL: SQLite's
    writers never overlap (BEGIN IMMEDIATE)."""
    register_network(inventory)
    renamed = events_seen("inventory.site_renamed")
    engine = engine_for(inventory_db)
    hours = {"friday": [["09:00", "12:00"]]}

    with engine.connect() as other_change:
        other_change.execute(text("SELECT id FROM sites WHERE code = 'mistral' FOR UPDATE"))
        rename = eventlet.spawn(call, inventory, "change_site", "mistral", {"name": "Mistral"})
        wait_until(lambda: lock_waits(engine) == 1, what="the rename waiting for the site")
        other_change.execute(
            text("UPDATE sites SET opening_hours = :hours WHERE code = 'mistral'"),
            {"hours": json.dumps(hours)},
        )
        other_change.commit()

    assert rename.wait()["opening_hours"] == hours
    (event,) = renamed.wait(1)
    assert (event["data"]["name"], event["data"]["opening_hours"]) == ("Mistral", hours)


@pytest.fixture
def notifications_db(container_factory, config_for, database_kind, new_database, engine_for):
    """A running notifications service; its database, to read its copy of the sites."""
    from services.notifications.service import Service

    url = new_database(database_kind)
    migrate.upgrade("notifications", url)
    config = config_for(notifications=url)
    config.update(SMS_PROVIDER="log")
    container_factory(Service, config).start()
    return engine_for(url)


def test_the_services_that_name_a_site_take_its_new_name(desk, audit, notifications_db):
    def names_in_notifications():
        with notifications_db.connect() as connection:
            return dict(connection.execute(select(Site.code, Site.name)).all())

    wait_until(
        lambda: names_in_notifications().get("jean-vilar") == "Centre Jean Vilar",
        what="the site in the notifications' copy",
    )
    tuesday = desk.tuesday["starts_at"][:10]
    period = {"from": tuesday, "to": tuesday, "by": "site", "step": "day"}

    def site_labels():
        return {row["label"] for row in call(audit.container, "utilisation", period)}

    wait_until(lambda: "Centre Jean Vilar" in site_labels(), what="the site in the audit's report")

    call(desk.inventory, "change_site", "jean-vilar", {"name": "Centre social Jean Vilar"})

    wait_until(
        lambda: names_in_notifications().get("jean-vilar") == "Centre social Jean Vilar",
        what="the new name in the notifications' copy",
    )
    wait_until(
        lambda: "Centre social Jean Vilar" in site_labels(),
        what="the new name in the audit's report",
    )
    assert "Centre Jean Vilar" not in site_labels()
    assert names_in_notifications()["mistral"] == "Espace Frédéric Mistral"
