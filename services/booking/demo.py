"""Demo residents for `make run`: a few residents of La Roseraie speaking several
languages, each holding a device lent at a partner's desk, so that a newcomer can
walk the resident's journey (sign in with a card, read their loans, keep one longer).

    python -m services.booking.demo

Run once the inventory holds the Roseraie network (services.inventory.demo) and the
booking knows its devices. Loading again changes nothing: a resident whose card is
registered already is kept, and one who holds a device already is lent nothing more.
Their one-time sign-in codes go out by SMS; with the default `log` provider they
land in the SMS log (var/sms.log under `make run`).
"""

if __name__ == "__main__":
    import warnings

    with warnings.catch_warnings():  # eventlet's deprecation notice is not for the demo's users
        warnings.simplefilter("ignore")
        import eventlet

    eventlet.monkey_patch()  # the RPC proxy runs on eventlet; patch before anything else loads

import os
import sys
import time
from datetime import UTC, datetime, timedelta

from partanum import config
from partanum.errors import Conflict
from partanum.standalone import NotAnswering, cluster_proxy, wait_for

ACTOR = "demo"

# Invented people; phone numbers from the range set aside for fiction (06 39 98 …).
RESIDENTS = [
    {
        "display_name": "Amina",
        "language": "ar",
        "phone": "+33639980101",
        "card_number": "RS-DEMO-AR",
        "partner": "jean-vilar",
        "category": "laptop",
    },
    {
        "display_name": "Mehmet",
        "language": "tr",
        "phone": "+33639980102",
        "card_number": "RS-DEMO-TR",
        "partner": "mistral",
        "category": "tablet",
    },
    {
        "display_name": "Gulalai",
        "language": "ps",
        "phone": "+33639980103",
        "card_number": "RS-DEMO-PS",
        "partner": "maison-quartier",
        "category": "tablet",
    },
    {
        "display_name": "Louise",
        "language": "fr",
        "phone": "+33639980104",
        "card_number": "RS-DEMO-FR",
        "partner": "jean-vilar",
        "category": "tablet",
    },
]


def ensure_resident(rpc, person: dict, partner_id: int) -> int:
    """The resident's id: registered now, or found by their card."""
    try:
        return rpc.booking.register_resident(
            {
                "display_name": person["display_name"],
                "phone": person["phone"],
                "language": person["language"],
                "channel": "sms",
                "consent": True,
                "card_number": person["card_number"],
                "registered_by_partner_id": partner_id,
            }
        )["id"]
    except Conflict:
        found = rpc.booking.find_resident_for_sign_in({"card_number": person["card_number"]})
        return found["resident_id"]


def ensure_loan(rpc, person: dict, resident_id: int, category_id: int) -> str | None:
    """The asset tag the resident holds: one they hold already, or one lent now from
    what is free at the partner's site (None when nothing is)."""
    held = [loan for loan in rpc.booking.resident_loans(resident_id) if loan["status"] == "active"]
    if held:
        return held[0]["asset_tag"]
    now = datetime.now(UTC)
    free = rpc.booking.availability(
        {
            "category_id": category_id,
            "site": person["partner"],
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        }
    )["asset_tags"]
    for tag in free:
        try:
            rpc.booking.check_out(
                {"asset_tag": tag, "resident_id": resident_id, "site": person["partner"]}
            )
        except Conflict:  # promised later, or not at that desk: try the next one
            continue
        return tag
    return None


def load(rpc) -> list[tuple[dict, str | None]]:
    partners = {partner["code"]: partner["id"] for partner in rpc.inventory.list_partners()}
    categories = {category["code"]: category["id"] for category in rpc.inventory.list_categories()}
    done = []
    for person in RESIDENTS:
        resident_id = ensure_resident(rpc, person, partners[person["partner"]])
        done.append((person, ensure_loan(rpc, person, resident_id, categories[person["category"]])))
    return done


def booking_knows_the_network(rpc, timeout: float = 60) -> None:
    """The booking learns the devices from the inventory's events: wait until it has."""
    deadline = time.monotonic() + timeout
    categories = rpc.inventory.list_categories()
    now = datetime.now(UTC)
    window = {"starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}
    while time.monotonic() < deadline:
        if any(
            rpc.booking.availability({"category_id": c["id"], **window})["free"] for c in categories
        ):
            return
        time.sleep(0.5)
    raise NotAnswering("the booking has not learnt the network's devices")


def sms_log() -> str:
    """Where the notifications' `log` provider writes (services/notifications/settings.py
    says the same: PARTANUM_SMS_LOG, else sms.log in the data directory)."""
    return os.environ.get("PARTANUM_SMS_LOG") or str(config.shared().data_dir / "sms.log")


def main() -> int:
    rpc_config = {"AMQP_URI": config.amqp_uri()}
    try:
        for service, method in (("inventory", "list_partners"), ("booking", "health")):
            wait_for(rpc_config, service, method, 60)
        with cluster_proxy(rpc_config, ACTOR, timeout=30) as rpc:
            booking_knows_the_network(rpc)
            done = load(rpc)
    except NotAnswering as error:
        print(f"the demo residents could not be loaded: {error}", file=sys.stderr)
        return 2
    print(
        "Demo residents: sign in at /resident/sign-in with a card number; the code arrives by SMS"
    )
    print(f"  (the SMS log, {sms_log()}):")
    for person, tag in done:
        holds = f"holds {tag}" if tag else "holds nothing (no free device)"
        print(
            f"  {person['card_number']:12} {person['display_name']:10} {person['language']}  {holds}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
