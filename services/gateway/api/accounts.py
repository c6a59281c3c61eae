"""HTTP endpoints for signing in and out, the caller's own identity, and staff accounts."""
from marshmallow import Schema, fields, validate

from services.gateway import auth
from services.gateway.authz import ROLES, Principal
from services.gateway.models import Account
from services.gateway.routing import ADMIN, ANYONE, MANAGER, RESIDENT, STAFF, now, route

ALL = (ADMIN, MANAGER, STAFF, RESIDENT)


class SignInIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MeOut(Schema):
    role = fields.String(metadata={"enum": list(ROLES)})
    actor = fields.String(metadata={"example": "staff:12"})
    account_id = fields.Integer(allow_none=True)
    partner_id = fields.Integer(allow_none=True)
    resident_id = fields.Integer(allow_none=True)
    email = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)


class TokenOut(Schema):
    token = fields.String(metadata={"description": "Send it as `Authorization: Bearer <token>`."})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_at = fields.DateTime()
    me = fields.Nested(MeOut)


def _me(who, account: Account | None) -> dict:
    return {"role": who.role, "actor": who.actor, "account_id": who.account_id,
            "partner_id": who.partner_id, "resident_id": who.resident_id,
            "email": account.email if account else None,
            "display_name": account.display_name if account else None}


class AccountApi:
    @route("POST", "/api/sign-in", body=SignInIn, response=TokenOut, allow=(ANYONE,),
           summary="Sign in with an email and a password (staff, managers, administrators)",
           tag="sign-in")
    def sign_in(self, request, who, body):
        """Answers a bearer token. Five wrong passwords for one email (or thirty from one
        address) within 15 minutes, and the next attempts get 429 until the window ends."""
        settings = auth.Settings.from_config(self.config)
        with self.db.transaction() as tx:
            secret, token, account = auth.sign_in(tx.session, body["email"], body["password"],
                                                  request.remote_addr or "?", now(), settings)
            tx.commit()
            who = Principal(role=account.role, account_id=account.id,
                            partner_id=account.partner_id)
            return {"token": secret, "token_type": "Bearer", "expires_at": token.expires_at,
                    "me": _me(who, account)}

    @route("POST", "/api/sign-out", status=204, allow=ALL, summary="Sign out: the token stops working",
           tag="sign-in")
    def sign_out(self, request, who):
        with self.db.transaction() as tx:
            auth.revoke_token(tx.session, who.token_id, now())
            tx.commit()

    @route("GET", "/api/me", response=MeOut, allow=ALL, summary="Who is signed in", tag="sign-in")
    def me(self, request, who):
        with self.db.transaction() as tx:
            account = tx.session.get(Account, who.account_id) if who.account_id else None
            return _me(who, account)

