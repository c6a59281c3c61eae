"""Equipment: a partner's staff list their devices (search, filters, pages), open one
with its history, register and correct devices, record a wipe, maintenance, a loss
and a find, retire or transfer one, import their fleet from CSV (a preview first,
then all or nothing) and export it for a French spreadsheet, and print QR labels.

Through the same operations as the API's /api/items (operations.py): the inventory
applies the caller's scope in SQL, and another partner's device answers as one that
does not exist (the 404 page). The CSV import and the label sheet are in
equipment_files.py.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from werkzeug.utils import redirect

from partanum.errors import Conflict, InvalidInput
from services.gateway import operations
from services.gateway.authz import STAFF
from services.gateway.pages import forms, i18n
from services.gateway.pages.equipment_files import EquipmentFiles
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_
from services.inventory.exceptions import StatusChangeRefused
from services.inventory.vocabulary import Status

PAGE_SIZE = 20

STATUSES = {
    Status.AVAILABLE: N_("disponible"),
    Status.RESERVED: N_("réservé"),
    Status.ON_LOAN: N_("prêté"),
    Status.AWAITING_WIPE: N_("à effacer"),
    Status.IN_MAINTENANCE: N_("en réparation"),
    Status.LOST: N_("perdu"),
    Status.RETIRED: N_("retiré du parc"),
}

# What staff record on a device's page: action → (the status it moves to, what the
# choice says, the statuses it is offered from, what the page says once done). A
# device on loan is declared lost at the desk, which closes the loan.
ACTIONS = {
    "maintenance_start": (
        Status.IN_MAINTENANCE,
        N_("Mettre en réparation"),
        {Status.AVAILABLE, Status.RESERVED, Status.AWAITING_WIPE},
        N_("%(tag)s est en réparation."),
    ),
    "maintenance_end": (
        Status.AVAILABLE,
        N_("Fin de la réparation : de nouveau disponible"),
        {Status.IN_MAINTENANCE},
        N_("%(tag)s est revenu de réparation : il est disponible."),
    ),
    "lost": (
        Status.LOST,
        N_("Déclarer perdu"),
        {Status.AVAILABLE, Status.RESERVED, Status.AWAITING_WIPE, Status.IN_MAINTENANCE},
        N_("%(tag)s est déclaré perdu."),
    ),
    "found": (
        Status.AWAITING_WIPE,
        N_("Retrouvé : à effacer avant le prochain prêt"),
        {Status.LOST},
        N_("%(tag)s est retrouvé. Effacez ses données avant de le prêter."),
    ),
    "retire": (
        Status.RETIRED,
        N_("Retirer du parc pour toujours"),
        {Status.AVAILABLE, Status.AWAITING_WIPE, Status.IN_MAINTENANCE, Status.LOST},
        N_("%(tag)s est retiré du parc."),
    ),
}
DONE = {
    "registered": N_("%(tag)s est enregistré."),
    "corrected": N_("La fiche de %(tag)s est corrigée."),
    "wiped": N_("Les données de %(tag)s sont effacées : il peut être prêté."),
    "transferred": N_("%(tag)s a changé de lieu."),
    **{action: done for action, (_s, _l, _f, done) in ACTIONS.items()},
}
NO_MOVE = {Status.ON_LOAN, Status.RESERVED, Status.RETIRED}

NOT_PUBLIC = N_("Pas d'adresse e-mail ni de nombre de 6 chiffres ou plus dans ce nom.")

# The inventory's fields → the form's.
DEVICE_FIELDS = {
    "asset_tag": "asset_tag",
    "serial_number": "device_serial",
    "make": "device_make",
    "model": "device_model",
    "category": "device_category",
    "home_site": "device_home_site",
    "accessories": "device_accessories",
    "condition": "condition",
    "notes": "device_notes",
    "purchase_date": "device_purchase_date",
    "purchase_cost": "device_purchase_cost",
}
FILTERS = {
    "device_search": "search",
    "device_status": "status",
    "device_category": "category",
    "device_site": "site",
    "device_owner": "owner",
}


class Equipment(EquipmentFiles):
    # --- the list -----------------------------------------------------------------------

    @page("GET", "/equipment")
    def page_equipment_list(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        choices = self.page_equipment_choices(request)
        filters = self.page_equipment_filters(request, choices)
        number = request.args.get("page", "")
        number = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
        found = operations.devices_page(
            self, who, {**filters, "limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE}
        )
        pages = max(1, -(-found["total"] // PAGE_SIZE))
        asked = {name: request.args[name] for name in FILTERS if request.args.get(name)}
        notices = []
        if request.args.get("given"):
            notices.append(
                self.page_text(
                    request,
                    N_("%(tag)s est donné à un autre partenaire : il n'est plus dans votre liste."),
                    tag=forms.text(request.args, "given")[:40],
                )
            )
        if request.args.get("labels") == "none":
            notices.append(
                self.page_text(request, N_("Cochez au moins un appareil pour ses étiquettes."))
            )
        return self.page_render(
            request,
            who,
            "equipment_list.html",
            N_("Appareils"),
            notices=notices,
            devices=[
                self.page_equipment_row(request, who, item, dict(choices["sites"]))
                for item in found["items"]
            ],
            total=found["total"],
            page_number=number,
            pages=pages,
            asked=asked,
            choices=choices,
        )

    def page_equipment_choices(self, request) -> dict:
        """The options of each filter and field: (value, what the reader sees)."""
        return {
            "statuses": [
                (s.value, self.page_text(request, label)) for s, label in STATUSES.items()
            ],
            "categories": [
                (c["code"], i18n.category_name(c, i18n.negotiate(request)))
                for c in operations.categories(self)
            ],
            "sites": [(s["code"], s["name"]) for s in operations.sites(self)],
            "partners": [(p["code"], p["name"]) for p in operations.partners(self)],
            "conditions": [
                (value, self.page_text(request, label)) for value, label in forms.CONDITIONS.items()
            ],
        }

    def page_equipment_filters(self, request, choices) -> dict:
        """The filters asked for in the address, as the inventory takes them; a value
        that is none of the choices is left out rather than refused."""
        known = {
            "device_status": choices["statuses"],
            "device_category": choices["categories"],
            "device_site": choices["sites"],
            "device_owner": choices["partners"],
        }
        filters = {}
        for name, key in FILTERS.items():
            value = forms.text(request.args, name)
            if not value:
                continue
            if name == "device_search":
                filters[key] = value[:100]
            elif value in {option for option, _label in known[name]}:
                filters[key] = value
        return filters

    def page_equipment_row(self, request, who, item, site_names) -> dict:
        return {
            **item,
            "site_name": site_names.get(item["current_site"], item["current_site"]),
            "status_label": self.page_text(request, STATUSES.get(item["status"], item["status"])),
            "changeable": operations.device_rights(self, who, item)["change"],
        }

    # --- one device ---------------------------------------------------------------------

    @page("GET", "/equipment/<asset_tag>")
    def page_equipment_device(self, request, who, asset_tag):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        item = operations.device(self, who, asset_tag)
        done = request.args.get("done", "")
        notices = (
            [self.page_text(request, DONE[done], tag=item["asset_tag"])] if done in DONE else []
        )
        return self.page_equipment_show(request, who, item, notices=notices)

    def page_equipment_show(self, request, who, item, status=200, errors=None, notices=()):
        choices = self.page_equipment_choices(request)
        rights = operations.device_rights(self, who, item)
        current = Status(item["status"])
        actions = [
            (action, self.page_text(request, label))
            for action, (_target, label, offered, _done) in ACTIONS.items()
            if current in offered
        ]
        names = {
            "category": dict(choices["categories"]),
            "site": dict(choices["sites"]),
            "partner": dict(choices["partners"]),
        }
        history = [
            self.page_equipment_history_entry(request, who, entry)
            for entry in reversed(operations.device_history(self, who, item["asset_tag"]))
        ]
        return self.page_render(
            request,
            who,
            "equipment_device.html",
            self.page_text(request, N_("Appareil %(tag)s"), tag=item["asset_tag"]),
            status=status,
            errors=errors,
            notices=list(notices),
            item=item,
            names=names,
            status_label=self.page_text(request, STATUSES.get(current, current)),
            condition_label=self.page_text(
                request, forms.CONDITIONS.get(item["condition"], item["condition"])
            ),
            may_change=rights["change"],
            may_wipe=rights["wipe"] and current == Status.AWAITING_WIPE,
            may_move=rights["change"] and current not in NO_MOVE,
            actions=actions if rights["change"] else [],
            history=history,
            choices=choices,
        )

    def page_equipment_history_entry(self, request, who, entry) -> dict:
        if entry["change"] == "status":
            what = self.page_text(
                request,
                N_("Statut : %(before)s → %(after)s"),
                before=self.page_text(request, STATUSES.get(entry["before"], entry["before"])),
                after=self.page_text(request, STATUSES.get(entry["after"], entry["after"])),
            )
        else:
            what = self.page_text(
                request,
                N_("Lieu : %(before)s → %(after)s"),
                before=entry["before"],
                after=entry["after"],
            )
        # Who did it, as the inventory records them ("staff:12"); the reader themself: "you".
        by = self.page_text(request, N_("vous")) if entry["actor"] == who.actor else entry["actor"]
        return {**entry, "what": what, "by": by}

    @page("POST", "/equipment/<asset_tag>/status")
    def page_equipment_status(self, request, who, asset_tag):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        item = operations.device(self, who, asset_tag)
        action = forms.text(request.form, "device_action")
        reason = forms.text(request.form, "device_reason")
        try:
            wrong = [
                name
                for name, ok in (
                    ("device_action", action in ACTIONS),
                    ("device_reason", 0 < len(reason) <= 500),
                )
                if not ok
            ]
            if wrong:
                raise FormErrors(*wrong)
            try:
                operations.change_device_status(
                    self, who, item["asset_tag"], ACTIONS[action][0].value, reason
                )
            except StatusChangeRefused:
                raise FormErrors.refused(
                    "device_action",
                    N_("Ce changement n'est pas possible dans l'état actuel de l'appareil."),
                ) from None
        except FormErrors as refused:
            return self.page_equipment_show(request, who, item, status=400, errors=refused.errors)
        return redirect(f"/equipment/{item['asset_tag']}?done={action}", 303)

    @page("POST", "/equipment/<asset_tag>/wipe")
    def page_equipment_wipe(self, request, who, asset_tag):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        item = operations.device(self, who, asset_tag)
        note = forms.text(request.form, "device_wipe_note")
        try:
            if len(note) > 500:
                raise FormErrors("device_wipe_note")
            try:
                operations.record_device_wipe(
                    self, who, item["asset_tag"], note or "data wiped and device reset"
                )
            except StatusChangeRefused:
                raise FormErrors.refused(
                    "device_wipe_note",
                    N_("Cet appareil n'attend pas d'effacement."),
                ) from None
        except FormErrors as refused:
            return self.page_equipment_show(request, who, item, status=400, errors=refused.errors)
        return redirect(f"/equipment/{item['asset_tag']}?done=wiped", 303)

    @page("POST", "/equipment/<asset_tag>/transfer")
    def page_equipment_transfer(self, request, who, asset_tag):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        item = operations.device(self, who, asset_tag)
        form = request.form
        choices = self.page_equipment_choices(request)
        to_site = forms.text(form, "device_to_site")
        to_partner = forms.text(form, "device_to_partner")
        reason = forms.text(form, "device_transfer_reason")
        try:
            wrong = [
                name
                for name, ok in (
                    ("device_to_site", to_site in dict(choices["sites"])),
                    ("device_to_partner", to_partner in dict(choices["partners"])),
                    ("device_transfer_reason", 0 < len(reason) <= 500),
                )
                if not ok
            ]
            if wrong:
                raise FormErrors(*wrong)
            try:
                moved = operations.transfer_device(
                    self,
                    who,
                    item["asset_tag"],
                    {
                        "to_site": to_site,
                        "to_partner": None if to_partner == item["owner"] else to_partner,
                        "reason": reason,
                    },
                )
            except Conflict as refused:  # already there, or on loan or reserved
                raise FormErrors.refused(
                    "device_to_site",
                    N_("L'appareil est déjà à ce lieu chez ce partenaire.")
                    if not isinstance(refused, StatusChangeRefused)
                    else N_("Un appareil prêté ou réservé ne peut pas changer de lieu."),
                ) from None
        except FormErrors as refused:
            return self.page_equipment_show(request, who, item, status=400, errors=refused.errors)
        if operations.device_rights(self, who, moved) == {"change": False, "wipe": False}:
            return redirect(f"/equipment?given={moved['asset_tag']}", 303)
        return redirect(f"/equipment/{moved['asset_tag']}?done=transferred", 303)

    # --- registering and correcting ---------------------------------------------------

    @page("GET", "/equipment/new")
    def page_equipment_new(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        return self.page_equipment_form(request, who)

    def page_equipment_form(self, request, who, item=None, status=200, errors=None):
        """The form of a new device (item None), or of a device's correction, filled
        with what it holds (or what was typed, after an error)."""
        choices = self.page_equipment_choices(request)
        own_sites = [(s["code"], s["name"]) for s in operations.own_sites(self, who)]
        filled = {}
        if item is not None and request.method == "GET":
            filled = {
                DEVICE_FIELDS[name]: item[name] or ""
                for name in ("serial_number", "make", "model", "condition", "notes")
            }
            filled["device_accessories"] = ", ".join(item["accessories"] or [])
            filled["device_purchase_date"] = item["purchase_date"] or ""
            filled["device_purchase_cost"] = (item["purchase_cost"] or "").replace(".", ",")
        return self.page_render(
            request,
            who,
            "equipment_form.html",
            N_("Corriger la fiche de l'appareil") if item else N_("Enregistrer un appareil"),
            status=status,
            errors=errors,
            item=item,
            filled=filled,
            own_sites=own_sites,
            choices=choices,
        )

    @page("POST", "/equipment/new")
    def page_equipment_register(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        own_sites = {s["code"] for s in operations.own_sites(self, who)}
        categories = {c["code"] for c in operations.categories(self)}
        try:
            data = self.page_equipment_read(request.form, new=True)
            wrong = [
                name
                for name, ok in (
                    ("device_category", data.get("category") in categories),
                    ("device_home_site", data.get("home_site") in own_sites),
                )
                if not ok
            ]
            if wrong:
                raise FormErrors(*wrong)
            partner = operations.own_partner_code(self, who)
            try:
                item = operations.register_device(self, who, {**data, "owner": partner})
            except Conflict:
                raise FormErrors.refused(
                    "asset_tag", N_("Un appareil a déjà ce numéro d'inventaire.")
                ) from None
            except InvalidInput as refused:
                raise self.page_equipment_refusal(refused) from None
        except FormErrors as refused:
            return self.page_equipment_form(request, who, status=400, errors=refused.errors)
        return redirect(f"/equipment/{item['asset_tag']}?done=registered", 303)

    @page("GET", "/equipment/<asset_tag>/edit")
    def page_equipment_edit(self, request, who, asset_tag):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        item = operations.device(self, who, asset_tag)
        if not operations.device_rights(self, who, item)["change"]:
            return self.page_not_found(request, who)
        return self.page_equipment_form(request, who, item=item)

    @page("POST", "/equipment/<asset_tag>/edit")
    def page_equipment_correct(self, request, who, asset_tag):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        item = operations.device(self, who, asset_tag)
        if not operations.device_rights(self, who, item)["change"]:
            return self.page_not_found(request, who)
        try:
            data = self.page_equipment_read(request.form, new=False)
            try:
                operations.correct_device(self, who, item["asset_tag"], data)
            except InvalidInput as refused:
                raise self.page_equipment_refusal(refused) from None
        except FormErrors as refused:
            return self.page_equipment_form(
                request, who, item=item, status=400, errors=refused.errors
            )
        return redirect(f"/equipment/{item['asset_tag']}?done=corrected", 303)

    def page_equipment_read(self, form, new: bool) -> dict:
        """The device form → the inventory's fields, or FormErrors naming each one at fault."""
        wrong, data = [], {}
        if new:
            tag = forms.text(form, "asset_tag").upper()
            if not forms.ASSET_TAG.match(tag):
                wrong.append("asset_tag")
            data.update(
                asset_tag=tag,
                category=forms.text(form, "device_category"),
                home_site=forms.text(form, "device_home_site"),
            )
        for name, field, limit, required in (
            ("make", "device_make", 100, True),
            ("model", "device_model", 100, True),
            ("serial_number", "device_serial", 100, False),
            ("notes", "device_notes", 2000, False),
        ):
            value = forms.text(form, field)
            if (required and not value) or len(value) > limit:
                wrong.append(field)
            data[name] = value
        data["serial_number"] = data["serial_number"] or None
        accessories = [
            part.strip()
            for part in forms.text(form, "device_accessories").split(",")
            if part.strip()
        ]
        if any(len(part) > 60 for part in accessories):
            wrong.append("device_accessories")
        data["accessories"] = accessories
        condition = forms.text(form, "condition") or "good"
        if condition not in forms.CONDITIONS:
            wrong.append("condition")
        data["condition"] = condition
        bought = forms.text(form, "device_purchase_date")
        try:
            data["purchase_date"] = date.fromisoformat(bought).isoformat() if bought else None
        except ValueError:
            wrong.append("device_purchase_date")
        cost = "".join(forms.text(form, "device_purchase_cost").replace(",", ".").split())
        try:
            amount = Decimal(cost) if cost else None
            if amount is not None and not (0 <= amount < 100_000_000 and amount.is_finite()):
                raise InvalidOperation
            data["purchase_cost"] = f"{amount:.2f}" if amount is not None else None
        except InvalidOperation:
            wrong.append("device_purchase_cost")
        if wrong:
            raise FormErrors(*wrong)
        return data

    def page_equipment_refusal(self, refused: InvalidInput) -> FormErrors:
        """What the inventory refused (a name with a character it keeps out of events…),
        on the form's fields."""
        names = [DEVICE_FIELDS[name] for name in refused.fields if name in DEVICE_FIELDS]
        error = FormErrors(*(names or ["device_make"]))
        for name in ("device_make", "device_model"):
            if name in error.errors:  # names are public: they travel in the events
                error.errors[name] = NOT_PUBLIC
        return error
