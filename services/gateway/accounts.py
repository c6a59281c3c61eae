"""Staff accounts: created, changed and disabled by the city's administrators.

An account is an email, a display name, a role (admin, manager, staff) and, for
partner staff, the partner they work for. Disabling an account revokes its tokens
at once; accounts are never deleted, so that the actors of past events stay
meaningful.
"""

from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partanum.errors import Conflict, InvalidInput, NotFound
from partanum.inputs import Input
from services.gateway import auth
from services.gateway.authz import ADMIN, MANAGER, STAFF
from services.gateway.models import Account

STAFF_ACCOUNT_ROLES = (ADMIN, MANAGER, STAFF)
# Long enough to resist guessing once hashed slowly; no composition rules (NIST SP 800-63B).
PASSWORD = validate.Length(min=10, max=200)


class EmailTaken(Conflict):
    """Another account already uses this email."""


class AccountIn(Input):
    email = fields.Email(required=True, validate=validate.Length(max=200))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ACCOUNT_ROLES))
    partner_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    password = fields.String(required=True, load_only=True, validate=PASSWORD)

    @validates_schema
    def staff_belong_to_a_partner(self, data, **_):
        if data.get("role") == STAFF and data.get("partner_id") is None:
            raise ValidationError("partner staff belong to a partner", "partner_id")


class AccountUpdate(Input):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(STAFF_ACCOUNT_ROLES))
    partner_id = fields.Integer(allow_none=True, strict=True)
    password = fields.String(load_only=True, validate=PASSWORD)
    disabled = fields.Boolean(metadata={"description": "true stops the account and its tokens"})


class AccountOut(Schema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"enum": list(STAFF_ACCOUNT_ROLES)})
    partner_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    disabled = fields.Function(lambda account: account.disabled_at is not None)
    disabled_at = fields.DateTime(allow_none=True)


class AccountFilters(Input):
    role = fields.String(validate=validate.OneOf(STAFF_ACCOUNT_ROLES))
    partner_id = fields.Integer()
    disabled = fields.Boolean()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class AccountPage(Schema):
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
    items = fields.List(fields.Nested(AccountOut))


def get(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account", account_id)
    return account


def create(
    session: Session, data: dict, now: datetime, password_hash: str | None = None
) -> Account:
    """`password_hash`: hashed beforehand, outside the transaction (see auth.py)."""
    password_hash = password_hash or auth.hash_password(data["password"])
    email = data["email"].strip().lower()
    if session.scalar(select(Account.id).where(Account.email == email)):
        raise EmailTaken(f"an account already uses {email}", {"field": "email"})
    account = Account(
        email=email,
        display_name=data["display_name"],
        role=data["role"],
        partner_id=data.get("partner_id"),
        password_hash=password_hash,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def change(
    session: Session, account_id: int, data: dict, now: datetime, password_hash: str | None = None
) -> Account:
    account = get(session, account_id)
    for name in ("display_name", "role", "partner_id"):
        if name in data:
            setattr(account, name, data[name])
    if account.role == STAFF and account.partner_id is None:
        raise InvalidInput({"partner_id": ["partner staff belong to a partner"]})
    if "password" in data:
        account.password_hash = password_hash or auth.hash_password(data["password"])
        auth.revoke_account_tokens(session, account.id, now)
    if data.get("disabled") is True and account.disabled_at is None:
        account.disabled_at = now
        auth.revoke_account_tokens(session, account.id, now)
    elif data.get("disabled") is False:
        account.disabled_at = None
    return account


def listing(session: Session, filters: dict) -> dict:
    query = select(Account)
    if "role" in filters:
        query = query.where(Account.role == filters["role"])
    if "partner_id" in filters:
        query = query.where(Account.partner_id == filters["partner_id"])
    if "disabled" in filters:
        disabled = Account.disabled_at.is_not(None)
        query = query.where(disabled if filters["disabled"] else ~disabled)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Account.id).limit(filters["limit"]).offset(filters["offset"])
    ).all()
    return {"total": total, "limit": filters["limit"], "offset": filters["offset"], "items": items}
