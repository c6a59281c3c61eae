"""A small network behind a running gateway, for the tests of its JSON API:
two partners (Centre Jean Vilar, Espace Mistral) with a site each, laptops at Jean
Vilar, tablets at Mistral, and one signed-in client per role. Loaded as a pytest
plugin by the root conftest, so a test only names the fixture:

    def test_something(network):
        answer = network.jv.get(network.url("/api/items"))
"""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from partanum.errors import InvalidInput
from tests.integration.helpers import call, next_tuesday, register_network
from tests.waiting import wait_until

JEAN_VILAR, MISTRAL = 1, 2  # partner ids, in the order register_network registers them
LAPTOPS = ("JV-LAP-001", "JV-LAP-002", "JV-LAP-003")
TABLETS = ("MI-TAB-001", "MI-TAB-002")
TIMEOUT = 15
MISTRAL_HOURS = {
    day: [["09:00", "18:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
}


def device(tag, category, partner):
    return {
        "asset_tag": tag,
        "make": "Lenovo",
        "model": "M10",
        "category": category,
        "owner": partner,
        "home_site": partner,
        "accessories": ["chargeur"],
    }


@pytest.fixture
def network(inventory, booking, gateway, engine_for):
    register_network(inventory)  # partners and sites jean-vilar and mistral, category tablet
    call(inventory, "set_opening_hours", "mistral", {"opening_hours": MISTRAL_HOURS})
    laptop = call(inventory, "register_category", {"code": "laptop", "name": "Ordinateur portable"})
    tablet = next(c for c in call(inventory, "list_categories") if c["code"] == "tablet")
    for tag in LAPTOPS:
        call(inventory, "register_item", device(tag, "laptop", "jean-vilar"))
    for tag in TABLETS:
        call(inventory, "register_item", device(tag, "tablet", "mistral"))
    container, booking_url = booking
    booking_db = engine_for(booking_url)
    tuesday = {
        "starts_at": next_tuesday(time(14)).isoformat(),
        "ends_at": next_tuesday(time(17)).isoformat(),
    }

    def booking_knows_everything():
        try:
            laptops = call(container, "availability", {"category_id": laptop["id"], **tuesday})
            tablets = call(container, "availability", {"category_id": tablet["id"], **tuesday})
        except InvalidInput:
            return False
        # A plain read: SQLite's WAL lets it pass beside the service's writes.
        with reader.connect() as connection:
            mistral_hours = connection.execute(
                text("SELECT opening_hours FROM sites WHERE code = 'mistral'")
            ).scalar()
        return (
            laptops["free"] == len(LAPTOPS)
            and tablets["free"] == len(TABLETS)
            and "monday" in str(mistral_hours)
        )

    reader = create_engine(booking_url)
    try:
        wait_until(booking_knows_everything, what="booking's copy of the inventory")
    finally:
        reader.dispose()
    for email, role, partner in (
        ("admin@angers.example", "admin", None),
        ("manager@angers.example", "manager", None),
        ("ines@jean-vilar.example", "staff", JEAN_VILAR),
        ("marc@mistral.example", "staff", MISTRAL),
    ):
        gateway.add_account(email, role=role, partner_id=partner)
    return Network(gateway, container, inventory, laptop["id"], tablet["id"], tuesday, booking_db)


class Network(SimpleNamespace):
    def __init__(self, gateway, booking, inventory, laptop_id, tablet_id, tuesday, booking_db):
        # booking_db: an engine on the booking's database, for what no API may do
        # (letting a due date pass).
        super().__init__(
            gateway=gateway,
            booking=booking,
            inventory=inventory,
            laptop_id=laptop_id,
            tablet_id=tablet_id,
            tuesday=tuesday,
            db=booking_db,
        )
        self.admin = gateway.sign_in("admin@angers.example")
        self.manager = gateway.sign_in("manager@angers.example")
        self.jv = gateway.sign_in("ines@jean-vilar.example")
        self.mi = gateway.sign_in("marc@mistral.example")

    def url(self, path: str) -> str:
        return self.gateway.url(path)

    def resident(self, resident_id: int):
        """A client signed in as that resident (the one-time code itself is tested
        with the accounts)."""
        from services.gateway import auth

        with Session(self.gateway.engine) as session:
            secret, _token = auth.issue_token(
                session, datetime.now(UTC), timedelta(hours=1), resident_id=resident_id
            )
            session.commit()
        return self.gateway.client(secret)

    def ok(self, client, method, path, status=200, **kwargs):
        """The answer's JSON, after checking its status."""
        answer = client.request(method, self.url(path), timeout=TIMEOUT, **kwargs)
        assert answer.status_code == status, answer.text
        return (
            answer.json() if answer.content and "json" in answer.headers["Content-Type"] else answer
        )

    def register(self, client, name="Amina B.", card="RS-0042", **extra):
        return self.ok(
            client,
            "POST",
            "/api/residents",
            201,
            json={
                "display_name": name,
                "phone": "06 12 34 56 78",
                "consent": True,
                "card_number": card,
                **extra,
            },
        )

    def lend(self, client, resident_id, tag="JV-LAP-001", site="jean-vilar", **extra):
        return self.ok(
            client,
            "POST",
            "/api/loans",
            201,
            json={"asset_tag": tag, "resident_id": resident_id, "site": site, **extra},
        )
