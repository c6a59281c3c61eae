"""The city's administrator, without the API: staff accounts (create, change the role,
disable, enable, a new temporary password), partners, sites with their opening hours
and closures, and the kinds of devices; the names of partners, sites and kinds, and a
site's address, corrected. Through the operations that decide as
/api/accounts, /api/partners, /api/sites and /api/categories do: administrators only.

A new account, or a new password, is shown once, on the answer to the form that made
it, and kept nowhere: the administrator gives it to the person, who changes it.
"""

import re
import secrets
from datetime import date

from werkzeug.utils import redirect

from partanum.errors import Conflict, InvalidInput
from partanum.i18n import WEEKDAYS
from services.gateway import help_offers, operations
from services.gateway.authz import ADMIN, MANAGER, STAFF
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

ADMIN_ROLES = {
    STAFF: N_("Équipe d'une structure"),
    MANAGER: N_("Gestionnaire de la ville"),
    ADMIN: N_("Administrateur"),
}
ADMIN_ACCOUNT_FIELDS = ("admin_email", "admin_display_name", "admin_role", "admin_partner")
ADMIN_SITE_FIELDS = ("admin_code", "admin_name", "admin_site_partner", "admin_address")
ADMIN_HOURS_FIELDS = tuple(f"help_{day}" for day in WEEKDAYS)
ADMIN_CLOSURE_FIELDS = ("admin_closure_starts", "admin_closure_ends", "admin_closure_reason")
ADMIN_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ADMIN_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Easy to read aloud and to type: no 0/O, 1/l/I.
ADMIN_PASSWORD_LETTERS = "abcdefghijkmnpqrstuvwxyz23456789"
ADMIN_DONE = {
    "changed": N_("Le compte est modifié."),
    "disabled": N_("Le compte est désactivé : il ne peut plus se connecter."),
    "enabled": N_("Le compte est réactivé : il peut se connecter."),
    "site": N_("Le lieu est enregistré."),
    "hours": N_("Les heures d'ouverture sont enregistrées."),
    "closure": N_("La fermeture est enregistrée."),
    "reopened": N_("La fermeture est retirée."),
    "partner": N_("La structure est enregistrée."),
    "category": N_("Le type d'appareil est enregistré."),
    "policy": N_("Les règles de prêt sont enregistrées."),
    "contact": N_("L'adresse de l'accueil est enregistrée."),
    "renamed": N_("Le nouveau nom est enregistré."),
    "details": N_("Le nom et l'adresse sont enregistrés."),
}
CODE_TAKEN = N_("Ce code est déjà utilisé : choisissez-en un autre.")
# Names and addresses travel in the inventory's events: it refuses a person's details.
NOT_PUBLIC = N_("Écrivez un nom public, sans adresse e-mail ni numéro de téléphone.")


def admin_temporary_password() -> str:
    letters = "".join(secrets.choice(ADMIN_PASSWORD_LETTERS) for _ in range(12))
    return "-".join(letters[i : i + 4] for i in range(0, 12, 4))


def admin_remote_errors(refused: InvalidInput, names: dict, default: str) -> list:
    """The service's InvalidInput fields → the form's fields at fault."""
    wrong = [names.get(str(field), default) for field in refused.fields]
    return list(dict.fromkeys(wrong or [default]))


def admin_not_public(refused: InvalidInput, names: dict, default: str) -> FormErrors:
    """The inventory refused a name or an address the page found well formed: it
    looks like an email or a phone number."""
    errors = FormErrors(*admin_remote_errors(refused, names, default))
    errors.errors = {name: NOT_PUBLIC for name in errors.errors}
    return errors


class AdminPages:
    def page_admin_refuse(self, request, who):
        """None when `who` is an administrator; else where they go instead."""
        if who.role == ADMIN:
            return None
        return self.page_sign_in_first(request, who, "/sign-in")

    def page_admin_guard(self, request, who):
        """A POST: its CSRF token first, then the role."""
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        return self.page_admin_refuse(request, who)

    def page_admin_notices(self, request) -> list[str]:
        done = request.args.get("done")
        return [self.page_text(request, ADMIN_DONE[done])] if done in ADMIN_DONE else []

    def page_admin_partner_choices(self, request, blank=True) -> list:
        partners = sorted(operations.partners(self), key=lambda p: p["name"])
        first = [("", self.page_text(request, N_("Aucune (ville)")))] if blank else []
        return first + [(str(p["id"]), p["name"]) for p in partners]

    def page_admin_role_choices(self, request) -> list:
        return [(role, self.page_text(request, label)) for role, label in ADMIN_ROLES.items()]

    # --- accounts ------------------------------------------------------------------------

    @page("GET", "/admin/accounts")
    def page_admin_accounts(self, request, who):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        partners = {p["id"]: p["name"] for p in operations.partners(self)}
        return self.page_render(
            request,
            who,
            "admin_accounts.html",
            N_("Comptes"),
            accounts=operations.admin_accounts(self, who),
            partner_names=partners,
            roles=self.page_admin_role_choices(request),
            role_names=dict(self.page_admin_role_choices(request)),
            partner_choices=self.page_admin_partner_choices(request),
        )

    def page_admin_account_form(self, request):
        """The account's fields as typed → the API's payload, or FormErrors."""
        form, data, wrong = request.form, {}, []
        if "admin_email" in form:
            email = forms.text(form, "admin_email").lower()
            if not ADMIN_EMAIL.match(email) or len(email) > 200:
                wrong.append("admin_email")
            data["email"] = email
        name = " ".join(forms.text(form, "admin_display_name").split())
        if not name or len(name) > 200:
            wrong.append("admin_display_name")
        role = forms.text(form, "admin_role")
        if role not in ADMIN_ROLES:
            wrong.append("admin_role")
        partner = forms.text(form, "admin_partner")
        known = {str(p["id"]) for p in operations.partners(self)}
        if (partner and partner not in known) or (role == STAFF and not partner):
            wrong.append("admin_partner")
        if wrong:
            raise FormErrors(*wrong)
        # Managers and administrators work for the city, not for one partner.
        partner_id = int(partner) if partner and role == STAFF else None
        return {**data, "display_name": name, "role": role, "partner_id": partner_id}

    @page("POST", "/admin/accounts")
    def page_admin_account_create(self, request, who):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        try:
            data = self.page_admin_account_form(request)
            password = admin_temporary_password()
            try:
                account = operations.admin_create_account(self, who, {**data, "password": password})
            except Conflict:
                raise FormErrors.refused(
                    "admin_email", N_("Un compte a déjà cette adresse e-mail.")
                ) from None
        except FormErrors as refused:
            return self.page_refused(
                request, who, "/admin/accounts", refused.errors, keep=ADMIN_ACCOUNT_FIELDS
            )
        return self.page_admin_account_page(request, who, account, password=password, created=True)

    def page_admin_account_page(self, request, who, account, password=None, created=False):
        partners = {p["id"]: p["name"] for p in operations.partners(self)}
        return self.page_render(
            request,
            who,
            "admin_account.html",
            N_("Un compte"),
            notices=self.page_admin_notices(request),
            account=account,
            partner_name=partners.get(account["partner_id"]),
            roles=self.page_admin_role_choices(request),
            role_names=dict(self.page_admin_role_choices(request)),
            partner_choices=self.page_admin_partner_choices(request),
            own=account["id"] == who.account_id,
            new_password=password,
            created=created,
        )

    @page("GET", "/admin/accounts/<int:account_id>")
    def page_admin_account(self, request, who, account_id):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        return self.page_admin_account_page(
            request, who, operations.admin_account(self, who, account_id)
        )

    @page("POST", "/admin/accounts/<int:account_id>")
    def page_admin_account_change(self, request, who, account_id):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        operations.admin_account(self, who, account_id)  # 404 when there is none
        back = f"/admin/accounts/{account_id}"
        try:
            data = self.page_admin_account_form(request)
            try:
                operations.admin_change_account(self, who, account_id, data)
            except Conflict:  # their own account: they keep the administrator's role
                raise FormErrors.refused(
                    "admin_role", N_("Vous ne pouvez pas changer votre propre rôle.")
                ) from None
        except FormErrors as refused:
            return self.page_refused(
                request, who, back, refused.errors, keep=ADMIN_ACCOUNT_FIELDS[1:]
            )
        return redirect(f"{back}?done=changed", 303)

    def page_admin_account_state(self, request, who, account_id, disabled: bool):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        back = f"/admin/accounts/{account_id}"
        operations.admin_account(self, who, account_id)
        try:
            operations.admin_change_account(self, who, account_id, {"disabled": disabled})
        except Conflict:
            return self.page_refused(request, who, back, FormErrors("admin_account_state").errors)
        return redirect(f"{back}?done={'disabled' if disabled else 'enabled'}", 303)

    @page("POST", "/admin/accounts/<int:account_id>/disable")
    def page_admin_account_disable(self, request, who, account_id):
        return self.page_admin_account_state(request, who, account_id, True)

    @page("POST", "/admin/accounts/<int:account_id>/enable")
    def page_admin_account_enable(self, request, who, account_id):
        return self.page_admin_account_state(request, who, account_id, False)

    @page("POST", "/admin/accounts/<int:account_id>/password")
    def page_admin_account_password(self, request, who, account_id):
        """A new temporary password, shown on this answer only (a reload asks the
        browser to send the form again, which makes another one)."""
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        password = admin_temporary_password()
        account = operations.admin_change_account(self, who, account_id, {"password": password})
        return self.page_admin_account_page(request, who, account, password=password)

    # --- partners --------------------------------------------------------------------------

    @page("GET", "/admin/partners")
    def page_admin_partners(self, request, who):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        sites = operations.sites(self)
        contacts = operations.admin_partner_contacts(self, who)
        partners = [
            {
                **p,
                "sites": [s for s in sites if s["partner"] == p["code"]],
                "contact": contacts.get(p["id"], {}).get("email"),
            }
            for p in sorted(operations.partners(self), key=lambda p: p["name"])
        ]
        return self.page_render(
            request,
            who,
            "admin_partners.html",
            N_("Structures"),
            notices=self.page_admin_notices(request),
            partners=partners,
        )

    def page_admin_code_and_name(self, request, max_name=200) -> dict:
        code = forms.text(request.form, "admin_code").lower()
        name = " ".join(forms.text(request.form, "admin_name").split())
        wrong = [
            field
            for field, ok in (
                ("admin_code", ADMIN_CODE.match(code)),
                ("admin_name", 0 < len(name) <= max_name),
            )
            if not ok
        ]
        if wrong:
            raise FormErrors(*wrong)
        return {"code": code, "name": name}

    @page("POST", "/admin/partners")
    def page_admin_partner_create(self, request, who):
        return self.page_admin_create(
            request, who, operations.admin_register_partner, "/admin/partners", "partner"
        )

    def page_admin_create(self, request, who, register, back: str, done: str, max_name=200):
        """A partner or a category made from its code and name; a refusal names the field."""
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        try:
            data = self.page_admin_code_and_name(request, max_name=max_name)
            try:
                register(self, who, data)
            except Conflict:
                raise FormErrors.refused("admin_code", CODE_TAKEN) from None
            except InvalidInput as refused:
                names = {"code": "admin_code", "name": "admin_name"}
                raise admin_not_public(refused, names, "admin_name") from None
        except FormErrors as refused:
            return self.page_refused(
                request, who, back, refused.errors, keep=("admin_code", "admin_name")
            )
        return redirect(f"{back}?done={done}", 303)

    def page_admin_rename(self, request, who, rename, key, back: str, max_name=200):
        """A partner or a kind of device renamed (`key`: its id); its code stays."""
        try:
            name = " ".join(forms.text(request.form, "admin_name").split())
            if not 0 < len(name) <= max_name:
                raise FormErrors("admin_name")
            try:
                rename(self, who, key, name)
            except InvalidInput as refused:
                raise admin_not_public(refused, {"name": "admin_name"}, "admin_name") from None
        except FormErrors as refused:
            return self.page_refused(request, who, back, refused.errors, keep=("admin_name",))
        return redirect(f"{back}?done=renamed", 303)

    def page_admin_partner_found(self, who, partner_id) -> dict | None:
        found = [p for p in operations.partners(self) if p["id"] == partner_id]
        return found[0] if found else None

    @page("GET", "/admin/partners/<int:partner_id>")
    def page_admin_partner(self, request, who, partner_id):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        partner = self.page_admin_partner_found(who, partner_id)
        if partner is None:
            return self.page_not_found(request, who)
        contact = operations.admin_partner_contacts(self, who).get(partner_id, {})
        return self.page_render(
            request,
            who,
            "admin_partner.html",
            N_("Une structure"),
            notices=self.page_admin_notices(request),
            partner=partner,
            contact=contact,
            contact_languages=list(i18n.NAMES.items()),
        )

    @page("POST", "/admin/partners/<int:partner_id>/name")
    def page_admin_partner_rename(self, request, who, partner_id):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        if self.page_admin_partner_found(who, partner_id) is None:
            return self.page_not_found(request, who)
        return self.page_admin_rename(
            request,
            who,
            operations.admin_rename_partner,
            partner_id,
            f"/admin/partners/{partner_id}",
        )

    @page("POST", "/admin/partners/<int:partner_id>/contact")
    def page_admin_partner_contact(self, request, who, partner_id):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        if self.page_admin_partner_found(who, partner_id) is None:
            return self.page_not_found(request, who)
        back = f"/admin/partners/{partner_id}"
        email = forms.text(request.form, "admin_contact_email").lower()
        language = forms.text(request.form, "admin_contact_language")
        wrong = []
        if email and (not ADMIN_EMAIL.match(email) or len(email) > 200):
            wrong.append("admin_contact_email")
        if language not in i18n.NAMES:
            wrong.append("admin_contact_language")
        try:
            if wrong:
                raise FormErrors(*wrong)
            contact = {"email": email or None, "language": language}
            try:
                operations.admin_set_partner_contact(self, who, partner_id, contact)
            except InvalidInput as refused:
                names = {"email": "admin_contact_email", "language": "admin_contact_language"}
                raise FormErrors(
                    *admin_remote_errors(refused, names, "admin_contact_email")
                ) from None
        except FormErrors as refused:
            keep = ("admin_contact_email", "admin_contact_language")
            return self.page_refused(request, who, back, refused.errors, keep=keep)
        return redirect(f"{back}?done=contact", 303)

    # --- categories ------------------------------------------------------------------------

    @page("GET", "/admin/categories")
    def page_admin_categories(self, request, who):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        categories = sorted(operations.categories(self), key=lambda c: c["name"])
        policies = operations.admin_loan_policies(self, who, [c["id"] for c in categories])
        by_category = {policy["category_id"]: policy for policy in policies}
        return self.page_render(
            request,
            who,
            "admin_categories.html",
            N_("Types d'appareils"),
            notices=self.page_admin_notices(request),
            categories=[{**c, "policy": by_category.get(c["id"], {})} for c in categories],
        )

    def page_admin_category_found(self, who, category_id) -> dict | None:
        found = [c for c in operations.categories(self) if c["id"] == category_id]
        return found[0] if found else None

    @page("GET", "/admin/categories/<int:category_id>")
    def page_admin_category(self, request, who, category_id):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        category = self.page_admin_category_found(who, category_id)
        if category is None:
            return self.page_not_found(request, who)
        (policy,) = operations.admin_loan_policies(self, who, [category_id])
        return self.page_render(
            request,
            who,
            "admin_category.html",
            N_("Un type d'appareil"),
            notices=self.page_admin_notices(request),
            category=category,
            policy=policy,
        )

    @page("POST", "/admin/categories/<int:category_id>/policy")
    def page_admin_category_policy(self, request, who, category_id):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        if self.page_admin_category_found(who, category_id) is None:
            return self.page_not_found(request, who)
        back = f"/admin/categories/{category_id}"
        typed = {
            name: forms.text(request.form, name)
            for name in ("admin_loan_days", "admin_max_renewals")
        }
        wrong = [
            name
            for name, low, high in (("admin_loan_days", 1, 365), ("admin_max_renewals", 0, 20))
            if not (typed[name].isdigit() and low <= int(typed[name]) <= high)
        ]
        if wrong:
            return self.page_refused(
                request, who, back, FormErrors(*wrong).errors, keep=tuple(typed)
            )
        policy = {
            "loan_days": int(typed["admin_loan_days"]),
            "max_renewals": int(typed["admin_max_renewals"]),
        }
        operations.admin_set_loan_policy(self, who, category_id, policy)
        return redirect(f"{back}?done=policy", 303)

    @page("POST", "/admin/categories/<int:category_id>/name")
    def page_admin_category_rename(self, request, who, category_id):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        if self.page_admin_category_found(who, category_id) is None:
            return self.page_not_found(request, who)
        back = f"/admin/categories/{category_id}"
        rename = operations.admin_rename_category
        return self.page_admin_rename(request, who, rename, category_id, back, max_name=100)

    @page("POST", "/admin/categories")
    def page_admin_category_create(self, request, who):
        return self.page_admin_create(
            request,
            who,
            operations.admin_register_category,
            "/admin/categories",
            "category",
            max_name=100,
        )

    # --- sites: their hours and closures ----------------------------------------------------

    @page("GET", "/admin/sites")
    def page_admin_sites(self, request, who):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        partners = {p["code"]: p["name"] for p in operations.partners(self)}
        return self.page_render(
            request,
            who,
            "admin_sites.html",
            N_("Lieux"),
            notices=self.page_admin_notices(request),
            sites=operations.sites(self),
            partner_names=partners,
            partner_choices=[("", "")]
            + sorted(((code, name) for code, name in partners.items()), key=lambda c: c[1]),
        )

    @page("POST", "/admin/sites")
    def page_admin_site_create(self, request, who):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        form = request.form
        try:
            data = self.page_admin_code_and_name(request)
            partner = forms.text(form, "admin_site_partner")
            address = " ".join(forms.text(form, "admin_address").split())
            wrong = []
            if partner not in {p["code"] for p in operations.partners(self)}:
                wrong.append("admin_site_partner")
            if not 0 < len(address) <= 300:
                wrong.append("admin_address")
            if wrong:
                raise FormErrors(*wrong)
            site = {**data, "partner": partner, "address": address}
            try:
                operations.admin_register_site(self, who, site)
            except Conflict:
                raise FormErrors.refused("admin_code", CODE_TAKEN) from None
            except InvalidInput as refused:
                names = {"code": "admin_code", "name": "admin_name", "address": "admin_address"}
                raise admin_not_public(refused, names, "admin_name") from None
        except FormErrors as refused:
            return self.page_refused(
                request, who, "/admin/sites", refused.errors, keep=ADMIN_SITE_FIELDS
            )
        return redirect(f"/admin/sites/{data['code']}?done=site", 303)

    @page("GET", "/admin/sites/<site_code>")
    def page_admin_site(self, request, who, site_code):
        if (away := self.page_admin_refuse(request, who)) is not None:
            return away
        site = operations.admin_site(self, who, site_code)
        hours = {
            f"help_{day}": help_offers.written_slots(site["opening_hours"].get(day))
            for day in WEEKDAYS
        }
        partners = {p["code"]: p["name"] for p in operations.partners(self)}
        return self.page_render(
            request,
            who,
            "admin_site.html",
            N_("Un lieu"),
            notices=self.page_admin_notices(request),
            site=site,
            partner_name=partners.get(site["partner"], site["partner"]),
            hours=hours,
            days=ADMIN_HOURS_FIELDS,
            closures=sorted(site["closures"], key=lambda c: c["starts_on"]),
        )

    @page("POST", "/admin/sites/<site_code>/details")
    def page_admin_site_details(self, request, who, site_code):
        """Its name and address corrected; its code, hours and closures stay."""
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        operations.admin_site(self, who, site_code)  # 404 when there is none
        back = f"/admin/sites/{site_code}"
        form = request.form
        name = " ".join(forms.text(form, "admin_name").split())
        address = " ".join(forms.text(form, "admin_address").split())
        try:
            wrong = [
                field
                for field, ok in (
                    ("admin_name", 0 < len(name) <= 200),
                    ("admin_address", 0 < len(address) <= 300),
                )
                if not ok
            ]
            if wrong:
                raise FormErrors(*wrong)
            try:
                operations.admin_change_site(
                    self, who, site_code, {"name": name, "address": address}
                )
            except InvalidInput as refused:
                names = {"name": "admin_name", "address": "admin_address"}
                raise admin_not_public(refused, names, "admin_name") from None
        except FormErrors as refused:
            keep = ("admin_name", "admin_address")
            return self.page_refused(request, who, back, refused.errors, keep=keep)
        return redirect(f"{back}?done=details", 303)

    @page("POST", "/admin/sites/<site_code>/hours")
    def page_admin_site_hours(self, request, who, site_code):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        operations.admin_site(self, who, site_code)  # 404 when there is none
        back = f"/admin/sites/{site_code}"
        hours, wrong = {}, []
        for day in WEEKDAYS:
            slots = help_offers.read_slots(forms.text(request.form, f"help_{day}"))
            if slots is None:
                wrong.append(f"help_{day}")
            elif slots:
                hours[day] = slots
        try:
            if wrong:
                raise FormErrors(*wrong)
            try:
                operations.admin_set_opening_hours(self, who, site_code, hours)
            except InvalidInput as refused:
                names = {day: f"help_{day}" for day in WEEKDAYS}
                raise FormErrors(*admin_remote_errors(refused, names, "help_monday")) from None
        except FormErrors as refused:
            return self.page_refused(request, who, back, refused.errors, keep=ADMIN_HOURS_FIELDS)
        return redirect(f"{back}?done=hours", 303)

    @page("POST", "/admin/sites/<site_code>/closures")
    def page_admin_site_closure(self, request, who, site_code):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        operations.admin_site(self, who, site_code)
        back = f"/admin/sites/{site_code}"
        form = request.form
        try:
            wrong, days = [], {}
            for name in ("admin_closure_starts", "admin_closure_ends"):
                try:
                    days[name] = date.fromisoformat(forms.text(form, name))
                except ValueError:
                    wrong.append(name)
            reason = " ".join(forms.text(form, "admin_closure_reason").split())
            if not 0 < len(reason) <= 200:
                wrong.append("admin_closure_reason")
            starts, ends = days.get("admin_closure_starts"), days.get("admin_closure_ends")
            if starts and ends and ends < starts:
                wrong.append("admin_closure_ends")
            if wrong:
                raise FormErrors(*wrong)
            closure = {"starts_on": str(starts), "ends_on": str(ends), "reason": reason}
            try:
                operations.admin_add_closure(self, who, site_code, closure)
            except InvalidInput as refused:
                names = {
                    "starts_on": "admin_closure_starts",
                    "ends_on": "admin_closure_ends",
                    "reason": "admin_closure_reason",
                }
                raise FormErrors(
                    *admin_remote_errors(refused, names, "admin_closure_reason")
                ) from None
        except FormErrors as refused:
            return self.page_refused(request, who, back, refused.errors, keep=ADMIN_CLOSURE_FIELDS)
        return redirect(f"{back}?done=closure", 303)

    @page("POST", "/admin/sites/<site_code>/closures/<int:closure_id>/remove")
    def page_admin_site_closure_remove(self, request, who, site_code, closure_id):
        if (away := self.page_admin_guard(request, who)) is not None:
            return away
        operations.admin_remove_closure(self, who, site_code, closure_id)  # 404 when none
        return redirect(f"/admin/sites/{site_code}?done=reopened", 303)
