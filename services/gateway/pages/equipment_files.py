"""Equipment as files: a fleet imported from CSV (the preview of what will change
first, then a button that commits it all or nothing), the list exported for a
French spreadsheet, and the PDF sheet of QR labels to print.

The page's export is the API's columns (it imports back unchanged) written the way
a French spreadsheet opens them in columns on a double click: `;` between cells,
decimal commas, UTF-8 with a byte-order mark. The API's own CSV stays as it is.
"""

import csv
import io
import re

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.csv_cells import neutralised
from partanum.errors import InvalidInput
from services.gateway import operations
from services.gateway.authz import STAFF
from services.gateway.pages import forms
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_
from services.inventory.vocabulary import COLUMNS, EXPORT_ONLY

# The preview's confirm form sends the file back in one form field (multipart:
# werkzeug keeps at most 500 000 bytes of a field in memory).
MAX_FILE_BYTES = 400_000
COST = "purchase_cost"

# What the inventory says of a row it refuses → what the page says (a pattern, the
# reader's words); anything else is shown as the inventory says it.
PROBLEMS = [
    (re.compile(r"^missing column$"), N_("Cette colonne manque.")),
    (re.compile(r"^unknown column"), N_("Cette colonne est inconnue.")),
    (re.compile(r"^column appears twice$"), N_("Cette colonne est là deux fois.")),
    (
        re.compile(r"^no category with code '(?P<code>.*)'$"),
        N_("Aucun type d'appareil n'a le code « %(code)s »."),
    ),
    (re.compile(r"^no site with code '(?P<code>.*)'$"), N_("Aucun lieu n'a le code « %(code)s ».")),
    (
        re.compile(r"is already on line (?P<line>\d+)$"),
        N_("Ce numéro est déjà à la ligne %(line)s."),
    ),
    (re.compile(r"registered to another partner"), N_("Ce numéro est à un autre partenaire.")),
    (
        re.compile(r"^(?P<cells>\d+) cells where the header has (?P<expected>\d+)$"),
        N_("Cette ligne a %(cells)s cases au lieu de %(expected)s."),
    ),
    (re.compile(r"^Missing data for required field"), N_("Cette case est vide.")),
]
CHANGES = {
    "created": N_("nouvel appareil"),
    "updated": N_("fiche corrigée"),
    "unchanged": N_("rien ne change"),
}


class EquipmentFiles:
    # --- import -------------------------------------------------------------------------

    @page("GET", "/equipment/import")
    def page_equipment_import_form(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        counts = {
            name: int(request.args[name])
            for name in ("created", "updated", "unchanged")
            if request.args.get(name, "").isdigit() and len(request.args[name]) < 8
        }
        return self.page_equipment_import(request, who, imported=counts if counts else None)

    def page_equipment_import(self, request, who, status=200, errors=None, **context):
        return self.page_render(
            request,
            who,
            "equipment_import.html",
            N_("Importer des appareils"),
            status=status,
            errors=errors,
            columns=COLUMNS,
            **context,
        )

    @page("POST", "/equipment/import")
    def page_equipment_import_preview(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        try:
            csv_text = self.page_equipment_uploaded(request)
            preview = operations.preview_device_import(self, who, csv_text)
        except FormErrors as refused:
            return self.page_equipment_import(request, who, status=400, errors=refused.errors)
        except InvalidInput as refused:
            return self.page_equipment_import_refused(request, who, refused)
        rows = [
            {**row, "change_label": self.page_text(request, CHANGES[row["change"]])}
            for row in preview["rows"]
        ]
        return self.page_equipment_import(
            request, who, preview=preview, rows=rows, csv_text=csv_text
        )

    @page("POST", "/equipment/import/confirm")
    def page_equipment_import_commit(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        csv_text = request.form.get("csv_text", "")
        try:
            if not csv_text.strip() or len(csv_text.encode()) > MAX_FILE_BYTES:
                raise FormErrors("device_file")
            report = operations.import_devices(self, who, csv_text)
        except FormErrors as refused:
            return self.page_equipment_import(request, who, status=400, errors=refused.errors)
        except InvalidInput as refused:  # the fleet changed since the preview
            return self.page_equipment_import_refused(request, who, refused)
        counts = "&".join(f"{name}={report[name]}" for name in ("created", "updated", "unchanged"))
        return redirect(f"/equipment/import?{counts}", 303)

    def page_equipment_uploaded(self, request) -> str:
        """The file sent, as text: UTF-8 (with or without its byte-order mark), or
        what an older French spreadsheet saves (Windows-1252)."""
        sent = request.files.get("device_file")
        content = sent.read(MAX_FILE_BYTES + 1) if sent else b""
        if not content.strip():
            raise FormErrors("device_file")
        if len(content) > MAX_FILE_BYTES:
            raise FormErrors.refused(
                "device_file",
                N_("Ce fichier est trop grand (400 Ko au plus) : coupez-le en plusieurs fichiers."),
            )
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252", errors="replace")
        if "\x00" in text:
            raise FormErrors.refused("device_file", N_("Ce fichier n'est pas un fichier CSV."))
        return text

    def page_equipment_import_refused(self, request, who, refused: InvalidInput):
        """Nothing changed: each line and column at fault, in the reader's words."""
        problems = [
            {
                "line": problem.get("line"),
                "column": problem.get("column"),
                "text": self.page_equipment_problem(request, str(problem.get("error", ""))),
            }
            for problem in refused.fields.get("rows", [])
        ]
        message = self.page_text(
            request,
            N_("Le fichier a des erreurs : rien n'a changé. Corrigez les lignes ci-dessous."),
        )
        return self.page_equipment_import(
            request,
            who,
            status=400,
            errors={"device_file": message},
            problems=problems,
        )

    def page_equipment_problem(self, request, said: str) -> str:
        for pattern, words in PROBLEMS:
            found = pattern.search(said)
            if found:
                return self.page_text(request, words, **found.groupdict())
        return self.page_text(request, N_("Valeur refusée : %(detail)s"), detail=said)

    # --- export -------------------------------------------------------------------------

    @page("GET", "/equipment/export.csv")
    def page_equipment_export(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        filters = self.page_equipment_filters(request, self.page_equipment_choices(request))
        devices = operations.all_devices(self, who, filters)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        columns = COLUMNS + EXPORT_ONLY
        writer.writerow(columns)
        for device in devices:
            writer.writerow([_french_cell(name, device.get(name)) for name in columns])
        return Response(
            ("\ufeff" + out.getvalue()).encode("utf-8"),
            content_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="appareils.csv"',
                "Cache-Control": "no-store",
            },
        )

    # --- labels -------------------------------------------------------------------------

    @page("GET", "/equipment/labels.pdf")
    def page_equipment_labels(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        tags = list(dict.fromkeys(t.strip().upper() for t in request.args.getlist("asset_tag")))
        if not tags:
            return redirect("/equipment?labels=none", 303)
        if len(tags) > 1000 or not all(forms.ASSET_TAG.match(tag) for tag in tags):
            return self.page_not_found(request, who)
        pdf = operations.device_labels(self, who, tags)
        return Response(
            pdf,
            content_type="application/pdf",
            headers={
                "Content-Disposition": 'inline; filename="etiquettes.pdf"',
                "Cache-Control": "no-store",
            },
        )


def _french_cell(column: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return neutralised(";".join(map(str, value)))
    if column == COST:
        return str(value).replace(".", ",")
    return str(neutralised(value))
