"""HTTP endpoints for signing in and out, the caller's own identity, and staff accounts."""

from marshmallow import Schema, fields, validate
from nameko.timer import timer

from partanum.errors import Conflict
from services.booking.schemas import SignInLookup
from services.gateway import accounts, auth, problems, resident_codes
from services.gateway.authz import ROLES, Principal
from services.gateway.models import Account
from services.gateway.routing import (
    ADMIN,
    ANYONE,
    MANAGER,
    RESIDENT,
    STAFF,
    json_response,
    now,
    route,
)

ALL = (ADMIN, MANAGER, STAFF, RESIDENT)


class ResidentSignInIn(SignInLookup):
    """One of card_number, phone or email: what the resident remembers."""


class ResidentCodeIn(SignInLookup):
    code = fields.String(
        required=True, validate=validate.Regexp(r"^\s*\d{6}\s*$"), metadata={"example": "048213"}
    )


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=accounts.PASSWORD)


class AcceptedOut(Schema):
    detail = fields.String()


class SignInIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MeOut(Schema):
    role = fields.String(metadata={"enum": list(ROLES)})
    actor = fields.String(metadata={"example": "staff:12"})
    account_id = fields.Integer(allow_none=True)
    partner_id = fields.Integer(allow_none=True)
    resident_id = fields.Integer(allow_none=True)
    acting_for = fields.Integer(
        allow_none=True, metadata={"description": "the resident staff act for"}
    )
    mandate_id = fields.Integer(
        allow_none=True, metadata={"description": "the resident's mandate they act under"}
    )
    email = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)


class TokenOut(Schema):
    token = fields.String(metadata={"description": "Send it as `Authorization: Bearer <token>`."})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_at = fields.DateTime()
    me = fields.Nested(MeOut)


def _me(who, account: Account | None) -> dict:
    return {
        "role": who.role,
        "actor": who.actor,
        "account_id": who.account_id,
        "partner_id": who.partner_id,
        "resident_id": who.resident_id,
        "acting_for": who.acting_for,
        "mandate_id": who.mandate_id,
        "email": account.email if account else None,
        "display_name": account.display_name if account else None,
    }


class AccountApi:
    @route(
        "POST",
        "/api/sign-in",
        body=SignInIn,
        response=TokenOut,
        allow=(ANYONE,),
        summary="Sign in with an email and a password (staff, managers, administrators)",
        tag="sign-in",
    )
    def sign_in(self, request, who, body):
        """Answers a bearer token, and a device cookie that this client keeps. Five
        wrong passwords for one email from clients without that cookie (or thirty from
        one address) within 15 minutes, and their next attempts get 429 until the window
        ends; a client holding the cookie has five of its own."""
        settings = auth.settings_for(self)
        with self.db.transaction() as tx:
            secret, token, account = auth.sign_in(
                tx.session,
                body["email"],
                body["password"],
                request.remote_addr or "?",
                now(),
                settings,
                device=request.cookies.get(auth.DEVICE_COOKIE),
            )
            tx.commit()
            who = Principal(role=account.role, account_id=account.id, partner_id=account.partner_id)
            response = json_response(
                TokenOut().dump(
                    {
                        "token": secret,
                        "token_type": "Bearer",
                        "expires_at": token.expires_at,
                        "me": _me(who, account),
                    }
                )
            )
        return auth.remember_device(response, request, settings, account.email)

    # --- residents: a one-time code -------------------------------------------------------

    @route(
        "POST",
        "/api/residents/sign-in",
        body=ResidentSignInIn,
        response=AcceptedOut,
        status=202,
        allow=(ANYONE,),
        tag="sign-in",
        summary="A resident asks for a one-time code (always 202)",
    )
    def resident_sign_in(self, request, who, body):
        """{"phone": "06 12 34 56 78"} (or card_number, or email). The answer is the same
        whether or not the resident exists; when they do, a 6-digit code goes to them by
        their preferred channel. Three codes per identifier per 15 minutes."""
        resident_codes.send_code(
            self, body, request.remote_addr or "?", auth.settings_for(self), now()
        )
        return {"detail": "If these details are known, a code is on its way."}

    @route(
        "POST",
        "/api/residents/sign-in/verify",
        body=ResidentCodeIn,
        response=TokenOut,
        allow=(ANYONE,),
        tag="sign-in",
        summary="A resident signs in with their code",
    )
    def resident_verify(self, request, who, body):
        """{"phone": "06 12 34 56 78", "code": "048213"} → a bearer token for 30 days.
        A code works once, for 10 minutes; five wrong codes and it stops working."""
        code = body.pop("code")
        signed_in = resident_codes.verify_code(
            self, body, code, request.remote_addr or "?", auth.settings_for(self), now()
        )
        if signed_in is None:
            raise problems.unauthorised("Wrong or expired code.")
        secret, token, resident_id = signed_in
        who = Principal(role=RESIDENT, resident_id=resident_id)
        return {
            "token": secret,
            "token_type": "Bearer",
            "expires_at": token.expires_at,
            "me": _me(who, None),
        }

    @route(
        "POST",
        "/api/sign-out",
        status=204,
        allow=ALL,
        summary="Sign out: the token stops working",
        tag="sign-in",
    )
    def sign_out(self, request, who):
        with self.db.transaction() as tx:
            auth.revoke_token(tx.session, who.token_id, now())
            tx.commit()

    # With acting_for, under any mandate: who the desk acts for, and under which.
    @route(
        "GET",
        "/api/me",
        response=MeOut,
        allow=ALL,
        summary="Who is signed in",
        tag="sign-in",
        acting=("loans", "data", "contact"),
    )
    def me(self, request, who):
        with self.db.transaction() as tx:
            account = tx.session.get(Account, who.account_id) if who.account_id else None
            return _me(who, account)

    @route(
        "POST",
        "/api/me/password",
        body=PasswordChangeIn,
        status=204,
        allow=(ADMIN, MANAGER, STAFF),
        summary="Change your own password",
        tag="sign-in",
    )
    def change_password(self, request, who, body):
        """{"current_password": "…", "new_password": "at least ten characters"}. Every
        other session of the account is signed out. Five wrong current passwords in 15
        minutes, and the next attempts get 429 until the window ends."""
        settings = auth.settings_for(self)
        key = {f"password:account:{who.account_id}": settings.sign_in_attempts}
        with self.db.transaction() as tx:
            auth.take(tx.session, key, settings.window, now())
            current = tx.session.get(Account, who.account_id).password_hash
            tx.commit()
        if not auth.password_matches(current, body["current_password"]):
            raise problems.invalid({"current_password": ["This is not your current password."]})
        new_hash = auth.hash_password(body["new_password"])
        with self.db.transaction() as tx:
            auth.give_back(tx.session, key)
            tx.session.get(Account, who.account_id).password_hash = new_hash
            auth.revoke_other_tokens(tx.session, who.account_id, who.token_id, now())
            tx.commit()

    @timer(interval=3600)
    def purge_expired_sign_ins(self):
        """Hourly: tokens, codes and counters that can no longer sign anyone in."""
        with self.db.transaction() as tx:
            auth.purge(tx.session, now(), auth.settings_for(self))
            tx.commit()

    # --- staff accounts, managed by the city's administrators ----------------------------

    @route(
        "GET",
        "/api/accounts",
        query=accounts.AccountFilters,
        response=accounts.AccountPage,
        allow=(ADMIN,),
        summary="List staff accounts",
        tag="accounts",
    )
    def list_accounts(self, request, who, query):
        """?role=staff&partner_id=3&disabled=false&limit=50&offset=0"""
        with self.db.transaction() as tx:
            return accounts.listing(tx.session, query)

    @route(
        "POST",
        "/api/accounts",
        body=accounts.AccountIn,
        response=accounts.AccountOut,
        status=201,
        allow=(ADMIN,),
        summary="Create a staff account",
        tag="accounts",
    )
    def create_account(self, request, who, body):
        """{"email": "ines@jean-vilar.example", "display_name": "Inès", "role": "staff",
        "partner_id": 3, "password": "at least ten characters"}"""
        password_hash = auth.hash_password(body["password"])  # before the write lock
        with self.db.transaction() as tx:
            account = accounts.create(tx.session, body, now(), password_hash)
            tx.commit()
            return account

    @route(
        "GET",
        "/api/accounts/<int:account_id>",
        response=accounts.AccountOut,
        allow=(ADMIN,),
        summary="One staff account",
        tag="accounts",
    )
    def get_account(self, request, who, account_id):
        with self.db.transaction() as tx:
            return accounts.get(tx.session, account_id)

    @route(
        "PATCH",
        "/api/accounts/<int:account_id>",
        body=accounts.AccountUpdate,
        response=accounts.AccountOut,
        allow=(ADMIN,),
        summary="Change, disable or re-enable a staff account",
        tag="accounts",
    )
    def change_account(self, request, who, account_id, body):
        """{"disabled": true} stops the account and every token it holds at once; a new
        password also signs it out everywhere."""
        demoted = body.get("role") not in (None, ADMIN)
        if account_id == who.account_id and (body.get("disabled") or demoted):
            raise Conflict(
                "administrators cannot disable or demote themselves",
                {"field": "disabled" if body.get("disabled") else "role"},
            )
        password_hash = auth.hash_password(body["password"]) if "password" in body else None
        with self.db.transaction() as tx:
            account = accounts.change(tx.session, account_id, body, now(), password_hash)
            tx.commit()
            return account

    @route(
        "DELETE",
        "/api/accounts/<int:account_id>",
        status=204,
        allow=(ADMIN,),
        summary="Disable a staff account (kept, so past actors stay known)",
        tag="accounts",
    )
    def disable_account(self, request, who, account_id):
        if account_id == who.account_id:
            raise Conflict("administrators cannot disable themselves", {"field": "account_id"})
        with self.db.transaction() as tx:
            accounts.change(tx.session, account_id, {"disabled": True}, now())
            tx.commit()
