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
from services.gateway import accounts, auth
from services.gateway.models import Account
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
            people = demo_accounts(rpc.inventory.list_partners())
    engine = make_engine(config.database_url("gateway"))
    try:
        with Session(engine) as session:
            created = ensure(session, people, password)
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
