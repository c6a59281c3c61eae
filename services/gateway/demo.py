"""Demo accounts for `make run`: one administrator, one manager, and one staff
account per partner of the Roseraie demo network, all with one demo password.

    python -m services.gateway.demo [--password …]

Run once the inventory holds the partners (services.inventory.demo). The password
is PARTANUM_DEMO_PASSWORD, or a fresh random one each run, printed with the
accounts; running again resets the demo accounts to it. Nothing here runs in a
deployment: production accounts are created by an administrator
(POST /api/accounts), and the first administrator with --admin.
"""

import argparse
import os
import secrets
import sys
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import config
from partanum.db import make_engine
from services.gateway import accounts, auth, help_offers
from services.gateway.models import Account, HelpOffer
from services.gateway.settings import Settings

DEMO_DOMAIN = "roseraie.demo"


def demo_accounts(partners: list[dict]) -> list[dict]:
    people = [
        {
            "email": f"admin@{DEMO_DOMAIN}",
            "display_name": "Administration (Ville d'Angers)",
            "role": "admin",
            "partner_id": None,
        },
        {
            "email": f"manager@{DEMO_DOMAIN}",
            "display_name": "Direction de projet",
            "role": "manager",
            "partner_id": None,
        },
    ]
    people += [
        {
            "email": f"accueil.{partner['code']}@{DEMO_DOMAIN}",
            "display_name": f"Accueil {partner['name']}",
            "role": "staff",
            "partner_id": partner["id"],
        }
        for partner in partners
    ]
    return people


def ensure(session: Session, people: list[dict], password: str) -> list[tuple[str, str]]:
    """Creates the accounts that are missing; gives every one `password` again."""
    password_hash = auth.hash_password(password)
    now = datetime.now(UTC)
    done = []
    for person in people:
        account = session.scalar(select(Account).where(Account.email == person["email"]))
        if account is None:
            account = accounts.create(session, {**person, "password": password}, now, password_hash)
        else:
            account.password_hash, account.disabled_at = password_hash, None
        done.append((account.email, account.role))
    session.commit()
    return done


# The help on offer in the public guide: the digital help at Centre Jean Vilar.
DEMO_HELP_OFFERS = [
    {
        "partner": "jean-vilar",
        "site_code": "jean-vilar",
        "what": "Aide numérique : démarches en ligne et e-mail",
        "hours": {
            "monday": [["13:30", "18:30"]],
            "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
            "wednesday": [["09:00", "12:00"], ["13:30", "18:30"]],
            "thursday": [["13:30", "18:30"]],
            "friday": [["09:00", "12:00"], ["13:30", "18:30"]],
        },
    }
]


def ensure_help_offers(session: Session, partners: list[dict]) -> None:
    """Adds the demo's help offers that are missing (one per partner and site)."""
    ids = {partner["code"]: partner["id"] for partner in partners}
    for offer in DEMO_HELP_OFFERS:
        partner_id = ids.get(offer["partner"])
        if partner_id is None:
            continue
        kept = session.scalar(
            select(HelpOffer).where(
                HelpOffer.partner_id == partner_id, HelpOffer.site_code == offer["site_code"]
            )
        )
        if kept is None:
            help_offers.save(
                session,
                partner_id,
                offer["site_code"],
                offer["what"],
                offer["hours"],
                datetime.now(UTC),
            )
    session.commit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.gateway.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--password", default=os.environ.get("PARTANUM_DEMO_PASSWORD"))
    parser.add_argument(
        "--admin",
        metavar="EMAIL",
        help="only create (or reset) this one administrator, with --password",
    )
    args = parser.parse_args(argv)
    password = args.password or secrets.token_urlsafe(9)
    partners: list[dict] = []
    if args.admin:
        people = [
            {
                "email": args.admin.lower(),
                "display_name": args.admin,
                "role": "admin",
                "partner_id": None,
            }
        ]
    else:
        from partanum.standalone import NotAnswering, cluster_proxy, wait_for

        rpc_config = {"AMQP_URI": config.amqp_uri()}
        try:
            wait_for(rpc_config, "inventory", "list_partners", 60)
        except NotAnswering as error:
            print(f"the inventory service does not answer: {error}", file=sys.stderr)
            return 2
        with cluster_proxy(rpc_config, "demo", timeout=30) as rpc:
            partners = rpc.inventory.list_partners()
            people = demo_accounts(partners)
    engine = make_engine(config.database_url("gateway"))
    try:
        with Session(engine) as session:
            created = ensure(session, people, password)
            ensure_help_offers(session, partners)
    finally:
        engine.dispose()
    url = Settings.from_environment().url
    print(f"Sign in at {url}/sign-in (API: POST /api/sign-in) with the password {password}")
    for email, role in created:
        print(f"  {email:50} {role}")
    print(f"  API documentation: {url}/docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
