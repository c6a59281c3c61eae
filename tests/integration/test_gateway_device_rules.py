"""Who may do what to a device, through the gateway over real HTTP, RabbitMQ and both
databases: Espace Mistral sends a tablet of its own to Centre Jean Vilar's site. Jean
Vilar's staff hold it there: they lend it, take it back and record its wipe, but
only Mistral's staff change it. A loan is taken back only at its own desk, through
the desk page as through the API."""

from tests.integration.browser import Browser
from tests.integration.gateway import PASSWORD
from tests.integration.gateway_network import TIMEOUT
from tests.waiting import wait_until

TABLET = "/api/items/MI-TAB-001"


def send_to_jean_vilar(network):
    moved = network.ok(
        network.mi,
        "POST",
        f"{TABLET}/transfer",
        json={"to_site": "jean-vilar", "reason": "atelier numérique"},
    )
    assert moved["current_site"] == "jean-vilar" and moved["owner"] == "mistral"
    return moved


def test_a_device_standing_at_another_partners_site_is_changed_only_by_its_owner(network):
    before = send_to_jean_vilar(network)

    def jean_vilar(method, path, body):
        return network.jv.request(method, network.url(path), json=body, timeout=TIMEOUT).status_code

    refused = {
        "retire": jean_vilar("POST", f"{TABLET}/status", {"status": "retired", "reason": "vieux"}),
        "notes": jean_vilar("PATCH", TABLET, {"notes": "à nous maintenant"}),
        "transfer": jean_vilar(
            "POST",
            f"{TABLET}/transfer",
            {"to_site": "jean-vilar", "to_partner": "jean-vilar", "reason": "gardée"},
        ),
        "shareable": jean_vilar("PUT", f"{TABLET}/shareable", {"shareable": False}),
        "kit": jean_vilar(
            "POST", "/api/kits", {"code": "jv-kit", "name": "Kit", "asset_tags": ["MI-TAB-001"]}
        ),
        "labels": jean_vilar("POST", "/api/items/labels", {"asset_tags": ["MI-TAB-001"]}),
    }

    assert refused == dict.fromkeys(refused, 403)
    assert network.ok(network.jv, "GET", TABLET) == before  # seen where it stands, unchanged
    assert [entry["change"] for entry in network.ok(network.mi, "GET", f"{TABLET}/history")] == [
        "transfer"
    ]
    changed = network.ok(network.mi, "PATCH", TABLET, json={"notes": "prêtée à Jean Vilar"})
    retired = network.ok(
        network.mi, "POST", f"{TABLET}/status", json={"status": "in_maintenance", "reason": "écran"}
    )
    assert changed["notes"] == "prêtée à Jean Vilar" and retired["status"] == "in_maintenance"


def test_the_desk_where_a_device_stands_takes_it_back_and_records_its_wipe(network):
    send_to_jean_vilar(network)
    amina = network.register(network.jv)
    loan = network.lend(network.jv, amina["id"], "MI-TAB-001", site="jean-vilar")

    owner_takes_back = network.mi.post(
        network.url("/api/check-ins"),
        timeout=TIMEOUT,
        json={"asset_tag": "MI-TAB-001", "condition": "good"},
    )
    back = network.ok(
        network.jv,
        "POST",
        "/api/check-ins",
        json={"asset_tag": "MI-TAB-001", "condition": "good", "accessories": ["chargeur"]},
    )

    assert owner_takes_back.status_code == 404
    assert back["id"] == loan["id"] and back["status"] == "returned"
    wait_until(
        lambda: network.ok(network.jv, "GET", TABLET)["status"] == "awaiting_wipe",
        what="the inventory to know the tablet is back",
    )
    # Its owner does not hold it: the wipe is recorded where it stands.
    assert (
        network.mi.post(network.url(f"{TABLET}/wipe"), json={}, timeout=TIMEOUT).status_code == 403
    )
    wiped = network.ok(network.jv, "POST", f"{TABLET}/wipe", json={})
    assert wiped["status"] == "available" and wiped["owner"] == "mistral"


def test_the_desk_page_refuses_to_take_back_another_partners_loan_as_the_api_does(network):
    amina = network.register(network.jv)
    loan = network.lend(network.jv, amina["id"], "JV-LAP-001")
    mistral = Browser(network.gateway)
    desk = mistral.submit(
        "/sign-in", mistral.get("/sign-in"), {"email": "marc@mistral.example", "password": PASSWORD}
    )
    assert desk.url.endswith("/desk") and desk.status == 200, desk.text

    page = mistral.submit(
        "/desk/check-in",
        desk,
        {"return_asset_tag": "JV-LAP-001", "condition": "damaged", "all_accessories": "yes"},
    )
    api = network.mi.post(
        network.url("/api/check-ins"),
        timeout=TIMEOUT,
        json={"asset_tag": "JV-LAP-001", "condition": "damaged"},
    )

    # Refused, and shown on the desk's page (post/redirect/get).
    assert [answer.status_code for answer in page.answer.history] == [303]
    assert page.status == 200 and page.first("a", href="#return_asset_tag") is not None
    assert "Cet appareil n'a pas été prêté ici : vérifiez le numéro." in page.text
    assert api.status_code == 404
    still = network.ok(network.jv, "GET", f"/api/loans/{loan['id']}")
    assert still["status"] == "active" and still["condition_in"] is None
