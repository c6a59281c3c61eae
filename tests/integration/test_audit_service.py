"""The audit service beside the real inventory and booking, on real RabbitMQ and
both databases: every event they publish is logged once, even when published
twice; the log is found by item, site, partner, actor and period; an accepted
suggestion moves the items in the inventory; tampering is named by verify_log and
by the command."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select, text

from partanum.config import secret_key
from partanum.errors import InvalidInput
from partanum.events import require
from partanum.outbox import EventPublisher
from partanum.tables import outbox
from services.audit.suggestions import signature
from services.inventory import events as inventory_events
from services.inventory.commands import ACCEPTED_REBALANCING
from tests.integration.helpers import (
    call,
    entries,
    lend,
    register,
    register_network,
    tablet,
    verify_command,
)
from tests.waiting import wait_until

require(inventory_events)


def emitted_ids(*engines):
    ids = set()
    for engine in engines:
        with engine.connect() as connection:
            ids |= set(connection.execute(select(outbox.c.event_id)).scalars())
    return ids


def test_every_event_of_the_inventory_and_booking_is_logged_once_even_if_published_twice(
    desk, audit, inventory_db, engine_for
):
    amina = register(desk)
    lend(desk, amina["id"])
    sources = (engine_for(inventory_db), desk.db)

    def everything_logged():
        logged = [e["event_id"] for e in entries(audit)]
        return logged if set(logged) == emitted_ids(*sources) else None

    wait_until(
        lambda: call(desk.inventory, "get_item", "JV-LAP-001")["status"] == "on_loan",
        what="the inventory following the loan",
    )
    logged = wait_until(everything_logged, what="every event in the log")
    assert len(logged) == len(set(logged))
    log = entries(audit)
    assert {e["producer"] for e in log} == {"inventory", "booking"}
    [checked_out] = [e for e in log if e["type"] == "booking.loan_checked_out"]
    assert (checked_out["item_id"], checked_out["resident_id"], checked_out["actor"]) == (
        1,
        amina["id"],
        "staff:1",
    )

    again = [json.loads(_body(audit, e["seq"])) for e in (log[0], checked_out, log[-1])]
    publish = EventPublisher(audit.container.config["AMQP_URI"])
    for body in again:
        with entrypoint_waiter(
            audit.container,
            "record_events",
            callback=lambda ctx, result, exc, body=body: (
                body["id"] in {str(event.id) for event in ctx.args[0]}
            ),
        ):
            publish(body)

    assert entries(audit) == log
    assert call(audit.container, "verify_log")["ok"] is True


def _body(audit, seq):
    with audit.db.connect() as connection:
        return connection.execute(
            text("SELECT body FROM audit_entries WHERE seq = :s"), {"s": seq}
        ).scalar()


def test_events_handled_at_the_same_time_are_chained_one_after_another(audit):
    from partanum.events import make_event

    publish = EventPublisher(audit.container.config["AMQP_URI"])
    for n in range(1, 41):
        publish(
            make_event(
                "inventory.item_status_changed",
                {
                    "item_id": n,
                    "asset_tag": f"JV-TAB-{n:03d}",
                    "from_status": "available",
                    "to_status": "in_maintenance",
                    "reason_code": "staff",
                    "history_id": n,
                },
                producer="inventory",
                actor="staff:1",
            )
        )

    logged = wait_until(lambda: len(entries(audit)) == 40 and entries(audit), what="40 entries")
    assert [e["seq"] for e in logged] == list(range(1, 41))
    assert {e["item_id"] for e in logged} == set(range(1, 41))
    assert call(audit.container, "verify_log") == {
        "ok": True,
        "count": 40,
        "head_hash": logged[-1]["hash"],
        "first_bad": None,
    }


@pytest.fixture
def network(inventory, audit):
    """Two sites and two tablets at Jean Vilar, once the audit log has them all."""
    register_network(inventory)
    items = [call(inventory, "register_item", tablet(tag)) for tag in ("JV-TAB-001", "JV-TAB-002")]
    sites = {s["code"]: s["id"] for s in call(inventory, "list_sites")}
    wait_until(
        lambda: len(entries(audit, type="inventory.item_registered")) == 2,
        what="the tablets in the log",
    )
    return SimpleNamespace(items=items, sites=sites)


def test_the_log_is_found_by_item_site_partner_actor_and_period(inventory, audit, network):
    started = datetime.now(UTC)
    tab1, tab2 = network.items
    call(
        inventory,
        "transfer_item",
        "JV-TAB-002",
        {"to_site": "mistral", "reason": "atelier"},
        actor="staff:2",
    )
    wait_until(lambda: entries(audit, type="inventory.item_transferred"), what="the transfer")

    def types(**filters):
        return [e["type"] for e in entries(audit, **filters)]

    assert types(item_id=tab2["id"]) == ["inventory.item_registered", "inventory.item_transferred"]
    assert types(site_id=network.sites["mistral"]) == [
        "inventory.site_registered",
        "inventory.item_transferred",
    ]
    assert types(actor="staff:2") == ["inventory.item_transferred"]
    assert types(**{"from": started.isoformat()}) == ["inventory.item_transferred"]
    assert types(to=started.isoformat(), item_id=tab1["id"]) == ["inventory.item_registered"]
    first = call(audit.container, "query_log", {"limit": 2})
    rest = call(audit.container, "query_log", {"after_seq": first["next_after_seq"]})
    assert [e["seq"] for e in first["entries"] + rest["entries"]] == [
        e["seq"] for e in entries(audit)
    ]

    with pytest.raises(InvalidInput) as refused:
        call(audit.container, "query_log", {"item": 3, "limit": 0})
    assert set(refused.value.fields) == {"item", "limit"}


def test_staff_words_about_a_device_stay_in_its_history_and_reach_no_event(
    inventory, audit, network, inventory_db, engine_for
):
    words = "écran cassé par Amina Benali, joignable au 06 12 34 56 78"
    broken, moved = network.items
    call(
        inventory,
        "change_status",
        broken["asset_tag"],
        {"status": "in_maintenance", "reason": words},
    )
    call(inventory, "transfer_item", moved["asset_tag"], {"to_site": "mistral", "reason": words})

    [status] = wait_until(
        lambda: entries(audit, type="inventory.item_status_changed"), what="the change"
    )
    [transfer] = wait_until(
        lambda: entries(audit, type="inventory.item_transferred"), what="the transfer"
    )
    with engine_for(inventory_db).connect() as connection:
        published = connection.execute(select(outbox.c.body)).scalars().all()
    logged = [_body(audit, entry["seq"]) for entry in entries(audit)]
    for stored in [*map(str, published), *logged]:
        assert "Amina" not in stored and "56 78" not in stored and "cassé" not in stored
    assert (status["data"]["reason_code"], transfer["data"]["reason_code"]) == ("staff", "staff")
    for item, event in ((broken, status), (moved, transfer)):
        [entry] = call(inventory, "item_history", item["asset_tag"])
        assert (entry["id"], entry["reason"]) == (event["data"]["history_id"], words)


def signed(audit, suggestion):
    """A suggestion as the audit service lists it (the reports' tests get them from a
    real history: test_audit_reports.py)."""
    return {**suggestion, "signature": signature(suggestion, secret_key(audit.container.config))}


def test_an_accepted_suggestion_moves_the_items_in_the_inventory(inventory, audit, network):
    ids = [item["id"] for item in network.items]
    suggestion = signed(
        audit,
        {
            "item_ids": ids,
            "from_site_id": network.sites["jean-vilar"],
            "to_site_id": network.sites["mistral"],
            "category_id": 1,
            "reason": "move 2 tablets from Centre Jean Vilar to Espace Frédéric Mistral",
            "figures": {"rate_from": 0.05, "rate_to": 0.62},
        },
    )

    accepted = call(audit.container, "accept_suggestion", suggestion, actor="manager:1")

    def moved():
        return all(
            call(inventory, "get_item", tag)["current_site"] == "mistral"
            for tag in ("JV-TAB-001", "JV-TAB-002")
        )

    wait_until(moved, what="the tablets at Mistral")
    [history] = call(inventory, "item_history", "JV-TAB-001")
    assert (history["actor"], history["reason"]) == ("manager:1", ACCEPTED_REBALANCING)
    [decision] = wait_until(
        lambda: entries(audit, type="audit.transfer_accepted"), what="the decision"
    )
    assert decision["event_id"] == accepted["event_id"] and decision["actor"] == "manager:1"
    assert decision["data"]["figures"] == {"rate_from": 0.05, "rate_to": 0.62}
    assert (decision["data"]["category_id"], decision["data"]["from_site_id"]) == (
        1,
        network.sites["jean-vilar"],
    )
    transfers = wait_until(
        lambda: (
            len(entries(audit, type="inventory.item_transferred")) == 2
            and entries(audit, type="inventory.item_transferred")
        ),
        what="the transfers",
    )
    assert {e["actor"] for e in transfers} == {"manager:1"}


@pytest.mark.parametrize(
    "change",
    [
        {"item_ids": [1, 999]},
        {"to_site_id": 99},
        {"from_site_id": 99},
        {"category_id": 7},
        {"figures": {"rate_from": 0.05, "rate_to": 0.99}},
        {"reason": "move every tablet"},
        {"signature": "0" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_suggestion_made_up_or_changed_is_refused_and_moves_nothing(
    inventory, audit, network, change
):
    ids = [item["id"] for item in network.items]
    genuine = signed(
        audit,
        {
            "item_ids": ids,
            "from_site_id": network.sites["jean-vilar"],
            "to_site_id": network.sites["mistral"],
            "category_id": 1,
            "reason": "move 2 tablets",
            "figures": {"rate_from": 0.05, "rate_to": 0.62},
        },
    )

    with pytest.raises(InvalidInput) as refused:
        call(audit.container, "accept_suggestion", {**genuine, **change}, actor="manager:1")

    assert set(refused.value.fields) == {"signature"}
    assert entries(audit, type="audit.transfer_accepted") == []
    assert [
        call(inventory, "get_item", item["asset_tag"])["current_site"] for item in network.items
    ] == ["jean-vilar", "jean-vilar"]


def test_an_item_that_can_no_longer_move_stays_and_the_log_says_why(inventory, audit, network):
    lost, free = network.items
    call(inventory, "change_status", lost["asset_tag"], {"status": "lost", "reason": "introuvable"})

    call(
        audit.container,
        "accept_suggestion",
        signed(
            audit,
            {
                "item_ids": [lost["id"], free["id"]],
                "from_site_id": network.sites["jean-vilar"],
                "to_site_id": network.sites["mistral"],
                "category_id": 1,
                "reason": "rééquilibrage",
                "figures": {},
            },
        ),
        actor="manager:1",
    )

    [skip] = wait_until(
        lambda: entries(audit, type="inventory.item_transfer_skipped"), what="the skip"
    )
    assert (skip["item_id"], skip["data"]["why"], skip["actor"]) == (
        lost["id"],
        "lost",
        "manager:1",
    )
    wait_until(lambda: entries(audit, type="inventory.item_transferred"), what="the other transfer")
    assert [
        call(inventory, "get_item", item["asset_tag"])["current_site"] for item in network.items
    ] == ["jean-vilar", "mistral"]


def test_tampering_with_one_entry_is_detected_by_verify_log_and_the_command(audit, network):
    verified = call(audit.container, "verify_log")
    assert verified["ok"] and verified["count"] == len(entries(audit))
    ok = verify_command(audit.url)
    assert (ok.returncode, ok.stdout.split(",")[0]) == (0, f"OK: {verified['count']} entries")

    with audit.db.begin() as connection:
        body = connection.execute(text("SELECT body FROM audit_entries WHERE seq = 3")).scalar()
        connection.execute(
            text("UPDATE audit_entries SET body = :b WHERE seq = 3"),
            {"b": body.replace('"staff:1"', '"staff:9"')},
        )

    assert call(audit.container, "verify_log") == {
        "ok": False,
        "first_bad": {"seq": 3, "problem": "altered: its hash does not match its contents"},
    }
    broken = verify_command(audit.url)
    assert broken.returncode == 1 and "entry 3: altered" in broken.stderr

    with audit.db.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET body = :b WHERE seq = 3"), {"b": body})
        connection.execute(text("DELETE FROM audit_refs WHERE seq = 2"))
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 2"))

    assert call(audit.container, "verify_log")["first_bad"] == {
        "seq": 2,
        "problem": "removed: entry 2 is missing from the log",
    }
    assert "entry 2: removed" in verify_command(audit.url).stderr
