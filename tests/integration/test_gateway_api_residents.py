"""Who reaches a resident through the gateway's JSON API, over real HTTP, RabbitMQ and
both databases (the booking applies each partner's relationships in its queries):
an id alone opens nothing, a desk reaches a resident by the whole card or phone
number they present, staff act for a resident only under the mandate the resident
gave, and managers see no names."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.integration.gateway_network import JEAN_VILAR, MISTRAL, TIMEOUT


def in_days(days):
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def status(client, network, method, path, **kwargs):
    return client.request(method, network.url(path), timeout=TIMEOUT, **kwargs).status_code


def give_mandate(network, client, resident_id, *scopes, days=30):
    return network.ok(
        client,
        "POST",
        f"/api/residents/{resident_id}/mandates",
        201,
        json={"scopes": list(scopes), "expires_at": in_days(days)},
    )


# --- issue 11, point 1: an id alone opens nothing ----------------------------------------------


def test_staff_cannot_lend_to_another_partners_resident_by_id_alone_and_nothing_is_stored(network):
    yusuf = network.register(network.mi, name="Yusuf K.", card="RS-0043")
    resident = f"/api/residents/{yusuf['id']}"

    lent = network.jv.post(
        network.url("/api/loans"),
        timeout=TIMEOUT,
        json={"asset_tag": "JV-LAP-001", "resident_id": yusuf["id"], "site": "jean-vilar"},
    )
    waiting = network.jv.post(
        network.url("/api/waiting-entries"),
        timeout=TIMEOUT,
        json={"category_id": network.laptop_id, "site": "jean-vilar", "resident_id": yusuf["id"]},
    )

    assert (lent.status_code, waiting.status_code) == (404, 404)
    assert (
        lent.json()
        == waiting.json()
        == network.jv.get(network.url("/api/residents/987654"), timeout=TIMEOUT).json()
    )
    assert network.ok(network.manager, "GET", "/api/loans")["total"] == 0
    assert network.ok(network.manager, "GET", "/api/waiting-entries")["total"] == 0
    assert network.ok(network.jv, "GET", "/api/items/JV-LAP-001")["status"] == "available"
    assert status(network.jv, network, "GET", resident) == 404
    assert status(network.jv, network, "PATCH", resident, json={"language": "tr"}) == 404
    for method, path in (
        ("GET", f"{resident}/export"),
        ("POST", f"{resident}/erase"),
        ("GET", resident),
    ):
        assert (
            status(network.jv, network, method, path, params={"acting_for": yusuf["id"]}) == 404
        ), path
    assert network.ok(network.mi, "GET", resident)["language"] == "fr"


def test_a_desk_reaches_another_partners_resident_once_they_present_their_whole_card(
    network, events_seen
):
    listen = events_seen("booking.resident_found_at_desk")
    me = network.ok(network.jv, "GET", "/api/me")
    yusuf = network.register(network.mi, name="Yusuf K.", card="RS-0043", email="yusuf@example.org")
    resident = f"/api/residents/{yusuf['id']}"

    assert status(network.jv, network, "GET", "/api/residents/by-card/RS-004") == 404
    assert network.ok(network.jv, "GET", "/api/residents/by-card/RS-0043") == {"id": yusuf["id"]}
    masked = network.ok(network.jv, "GET", resident)
    network.lend(network.jv, yusuf["id"])
    while_lent = network.ok(network.jv, "GET", resident)

    assert masked["display_name"] == "Yusuf K." and masked["view"] == "masked"
    assert masked["phone"].endswith("78") and "12 34" not in masked["phone"]
    assert masked["email"] == "y•••@example.org" and masked["card_number"] == "••••43"
    assert while_lent["view"] == "full" and while_lent["phone"] == "06 12 34 56 78"
    (found,) = listen.wait(1)
    assert found["actor"] == f"staff:{me['account_id']}"
    assert found["data"] == {"resident_id": yusuf["id"], "partner_id": JEAN_VILAR, "how": "card"}


def test_a_desk_finds_a_resident_by_their_whole_phone_number_too(network):
    yusuf = network.register(network.mi, name="Yusuf K.", card="RS-0043")

    partial = network.jv.post(
        network.url("/api/residents/at-desk"), timeout=TIMEOUT, json={"phone": "06 12 34"}
    )
    whole = network.ok(
        network.jv, "POST", "/api/residents/at-desk", json={"phone": "+33 6 12 34 56 78"}
    )
    both = network.jv.post(
        network.url("/api/residents/at-desk"),
        timeout=TIMEOUT,
        json={"phone": "0612345678", "card_number": "RS-0043"},
    )
    for_mistral = network.jv.post(
        network.url("/api/residents/at-desk"),
        timeout=TIMEOUT,
        json={"phone": "0612345678", "partner_id": MISTRAL},
    )

    assert partial.status_code == 404 and whole == {"id": yusuf["id"]}
    assert both.status_code == 400 and for_mistral.status_code == 403
    assert network.ok(network.jv, "GET", f"/api/residents/{yusuf['id']}")["view"] == "masked"


def test_a_name_search_covers_only_the_partners_own_residents(network):
    network.register(network.jv)
    yusuf = network.register(network.mi, name="Yusuf K.", card="RS-0043")
    network.ok(network.jv, "GET", "/api/residents/by-card/RS-0043")  # found, but not served yet

    def names(client, **query):
        return [
            r["display_name"]
            for r in network.ok(client, "GET", "/api/residents", params=query)["items"]
        ]

    assert names(network.jv, search="yusuf") == [] and names(network.jv, search="RS-0043") == []
    assert names(network.mi, search="amina") == [] and names(network.jv, search="amina") == [
        "Amina B."
    ]
    network.lend(network.jv, yusuf["id"])
    assert names(network.jv, search="yusuf") == ["Yusuf K."]


# --- acting for a resident: under their mandate only -------------------------------------------


def test_staff_act_for_a_resident_only_under_a_mandate_covering_what_they_do(network, events_seen):
    listen = events_seen("booking.loan_checked_out")
    amina = network.register(network.jv)
    export = f"/api/residents/{amina['id']}/export"
    acting = {"acting_for": amina["id"]}
    me = network.ok(network.jv, "GET", "/api/me")

    without = status(network.jv, network, "GET", export, params=acting)
    loans_only = give_mandate(network, network.jv, amina["id"], "loans")
    not_covered = status(network.jv, network, "GET", export, params=acting)
    lent = network.ok(
        network.jv,
        "POST",
        "/api/loans",
        201,
        params=acting,
        json={"asset_tag": "JV-LAP-001", "resident_id": amina["id"], "site": "jean-vilar"},
    )

    assert without == not_covered == 404
    assert lent["resident_id"] == amina["id"]
    (event,) = listen.wait(1)
    assert event["actor"] == (
        f"staff:{me['account_id']} for resident:{amina['id']} under mandate:{loans_only['id']}"
    )
    # Another partner's staff, even once they found her, act under no mandate of ours.
    network.ok(network.mi, "GET", "/api/residents/by-card/RS-0042")
    assert status(network.mi, network, "GET", "/api/loans", params=acting) == 404


def test_a_withdrawn_or_expired_mandate_lets_nobody_act_any_more(network):
    amina = network.register(network.jv)
    export = f"/api/residents/{amina['id']}/export"
    acting = {"acting_for": amina["id"]}
    first = give_mandate(network, network.jv, amina["id"], "data", "loans")
    assert network.ok(network.jv, "GET", export, params=acting)["resident"]["id"] == amina["id"]

    assert status(network.mi, network, "POST", f"/api/mandates/{first['id']}/withdraw") == 404
    withdrawn = network.ok(
        network.resident(amina["id"]), "POST", f"/api/mandates/{first['id']}/withdraw"
    )
    after_withdrawal = status(network.jv, network, "GET", export, params=acting)
    second = give_mandate(network, network.jv, amina["id"], "data")
    with network.db.begin() as connection:  # let it run out
        past = datetime.now(UTC) - timedelta(minutes=1)
        connection.execute(
            text("UPDATE mandates SET expires_at = :at WHERE id = :id"),
            {
                "at": past if network.db.dialect.name != "sqlite" else past.replace(tzinfo=None),
                "id": second["id"],
            },
        )
    after_expiry = status(network.jv, network, "GET", export, params=acting)

    assert withdrawn["withdrawn_at"] is not None
    assert after_withdrawal == after_expiry == 404
    listed = network.ok(
        network.resident(amina["id"]), "GET", f"/api/residents/{amina['id']}/mandates"
    )
    assert [m["id"] for m in listed["items"]] == [second["id"], first["id"]]
    too_long = network.jv.post(
        network.url(f"/api/residents/{amina['id']}/mandates"),
        timeout=TIMEOUT,
        json={"scopes": ["data"], "expires_at": in_days(400)},
    )
    assert too_long.status_code == 400 and set(too_long.json()["errors"]) == {"expires_at"}


def test_a_resident_with_neither_phone_nor_email_is_served_under_the_mandate_given_at_registration(
    network,
):
    nadia = network.ok(
        network.jv,
        "POST",
        "/api/residents",
        201,
        json={
            "display_name": "Nadia S.",
            "consent": True,
            "channel": "none",
            "mandate": {"scopes": ["loans", "data"], "expires_at": in_days(365)},
        },
    )
    acting = {"acting_for": nadia["id"]}

    lent = network.ok(
        network.jv,
        "POST",
        "/api/loans",
        201,
        params=acting,
        json={"asset_tag": "JV-LAP-002", "resident_id": nadia["id"], "site": "jean-vilar"},
    )
    renewed = network.ok(network.jv, "POST", f"/api/loans/{lent['id']}/renew", params=acting)
    exported = network.ok(network.jv, "GET", f"/api/residents/{nadia['id']}/export", params=acting)

    assert nadia["phone"] is None and nadia["email"] is None
    assert renewed["renewals"] == 1
    assert [loan["id"] for loan in exported["loans"]] == [lent["id"]]


# --- what managers see --------------------------------------------------------------------------


def test_managers_see_no_residents_names_nor_contact_details(network):
    amina = network.register(network.jv)
    network.lend(network.jv, amina["id"])

    listed = network.ok(network.manager, "GET", "/api/residents")
    one = network.ok(network.admin, "GET", f"/api/residents/{amina['id']}")
    searched = network.ok(network.manager, "GET", "/api/residents", params={"search": "Amina"})
    loans = network.manager.get(
        network.url("/api/loans"), params={"format": "csv"}, timeout=TIMEOUT
    )

    assert [r["id"] for r in listed["items"]] == [amina["id"]] and one["id"] == amina["id"]
    for shown in (listed, one, loans.text):
        assert (
            "Amina" not in str(shown) and "06 12" not in str(shown) and "RS-0042" not in str(shown)
        )
    assert searched["items"] == []
