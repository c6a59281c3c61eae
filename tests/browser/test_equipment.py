"""Equipment in a real browser: a partner's staff register a device, find it in their
list, follow it through maintenance, loss, its wipe and its retirement; import a
fleet file (a preview, then all at once); export the list for a French spreadsheet;
print labels. Then the walls, over plain HTTP: another partner's device answers as
one that does not exist, residents and strangers are sent away, a form without its
CSRF token changes nothing."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import MANAGER, PHONE, STAFF_JEAN_VILAR, Fresh
from tests.browser.helpers import assert_accessible, sign_in, word

HEADER = "asset_tag,serial_number,make,model,category,home_site,accessories,condition,notes,purchase_date,purchase_cost"
CSRF = "c" * 43


def unique(prefix="JV-TST"):
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


def choose(page, label, value):
    page.get_by_label(label, exact=True).select_option(value)


def record(page, action, reason):
    """Staff record what happens to the device on its page."""
    page.get_by_label("Ce qui arrive à l'appareil").select_option(action)
    page.get_by_label("Pourquoi", exact=True).fill(reason)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer", exact=True).click()


def test_a_device_is_registered_found_and_followed_through_its_life(staff_page):
    page = staff_page
    tag, model = unique(), f"Pad {word()}"
    page.get_by_role("link", name="Appareils", exact=True).click()  # the menu's line
    page.get_by_role("link", name="Enregistrer un appareil").click()
    assert_accessible(page, "equipment, new device")
    page.get_by_label("Numéro d'inventaire").fill(tag.lower())
    choose(page, "Type d'appareil", "tablet")
    page.get_by_label("Marque", exact=True).fill("Acme")
    page.get_by_label("Modèle", exact=True).fill("Pad 06 12 34 56 78")
    page.get_by_role("button", name="Enregistrer l'appareil").click()
    expect(page.get_by_role("alert")).to_contain_text("Modèle : Pas d'adresse e-mail")
    expect(page.get_by_label("Numéro d'inventaire")).to_have_value(tag.lower())
    assert_accessible(page, "equipment, new device refused")
    page.get_by_label("Modèle", exact=True).fill(model)
    page.get_by_label("Accessoires").fill("chargeur, housse")
    page.get_by_label("Prix d'achat en euros").fill("199,90")
    page.get_by_role("button", name="Enregistrer l'appareil").click()
    expect(page.get_by_role("status")).to_have_text(f"{tag} est enregistré.")
    assert_accessible(page, "equipment, device registered")

    # In the list, by a word of its model, with the filters of its state and kind.
    page.goto("/equipment")
    page.get_by_label("Rechercher").fill(model.split()[1])
    choose(page, "Statut", "available")
    choose(page, "Type d'appareil", "tablet")
    page.get_by_role("button", name="Chercher", exact=True).click()
    expect(page.get_by_role("heading", name="Appareils trouvés : 1")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=tag)
    expect(row).to_contain_text(f"Acme {model}")
    expect(row).to_contain_text("disponible")
    assert_accessible(page, "equipment list, filtered")
    choose(page, "Statut", "lost")
    page.get_by_role("button", name="Chercher", exact=True).click()
    expect(page.get_by_text("Aucun appareil ne correspond à ces critères.")).to_be_visible()
    assert_accessible(page, "equipment list, nothing found")

    page.goto(f"/equipment?device_search={tag}")
    page.get_by_role("link", name=tag).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Appareil {tag}")
    expect(page.locator("dd").filter(has_text="chargeur, housse")).to_be_visible()

    # Without a reason, nothing is recorded: the summary says which field to fill.
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Pourquoi : Dites pourquoi")
    assert_accessible(page, "equipment device, action refused")

    record(page, "maintenance_start", "écran cassé")
    expect(page.get_by_role("status")).to_have_text(f"{tag} est en réparation.")
    record(page, "maintenance_end", "écran changé")
    expect(page.get_by_role("status")).to_contain_text("il est disponible")
    record(page, "lost", "pas revenu de l'atelier")
    expect(page.get_by_role("status")).to_have_text(f"{tag} est déclaré perdu.")
    record(page, "found", "retrouvé dans une armoire")
    expect(page.get_by_role("status")).to_contain_text("Effacez ses données")
    assert_accessible(page, "equipment device, awaiting its wipe")

    page.get_by_label("Ce qui a été fait").fill("remis à zéro")
    page.get_by_role("button", name="Les données sont effacées").click()
    expect(page.get_by_role("status")).to_contain_text("il peut être prêté")
    record(page, "retire", "trop vieux")
    expect(page.get_by_role("status")).to_have_text(f"{tag} est retiré du parc.")
    expect(page.get_by_label("Ce qui arrive à l'appareil")).to_have_count(0)

    history = page.get_by_role("table", name="Ce qui est arrivé")
    expect(history.get_by_role("row")).to_have_count(7)  # a header and six changes
    expect(history.get_by_role("row").nth(1)).to_contain_text("disponible → retiré du parc")
    expect(history.get_by_role("row").nth(2)).to_contain_text("à effacer → disponible")
    expect(history.get_by_role("row").nth(2)).to_contain_text("remis à zéro")
    expect(history.get_by_role("row").nth(2)).to_contain_text("vous")
    expect(history.get_by_role("row").nth(6)).to_contain_text("disponible → en réparation")
    assert_accessible(page, "equipment device, retired with its history")


def test_a_devices_sheet_is_corrected_and_the_device_given_to_another_partner(staff_page, fresh):
    page = staff_page
    tag = fresh.device("tablet")
    page.goto(f"/equipment/{tag}")
    page.get_by_role("link", name="Corriger la fiche").click()
    expect(page.get_by_label("Marque", exact=True)).to_have_value("Samsung")
    assert_accessible(page, "equipment, correcting a device")
    page.get_by_label("Remarques").fill("coin abîmé")
    page.get_by_label("Prix d'achat en euros").fill("deux cents")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.get_by_role("alert")).to_contain_text("Prix d'achat en euros : Saisissez un prix")
    expect(page.get_by_label("Remarques")).to_have_value("coin abîmé")  # kept as typed
    assert_accessible(page, "equipment, correction refused")
    page.get_by_label("Prix d'achat en euros").fill("249,90")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.get_by_role("status")).to_have_text(f"La fiche de {tag} est corrigée.")
    expect(page.locator("dd").filter(has_text="coin abîmé")).to_be_visible()

    choose(page, "Nouveau lieu", "mistral")
    choose(page, "Nouveau propriétaire", "mistral")
    page.get_by_label("Pourquoi ce changement").fill("prêté pour de bon")
    page.get_by_role("button", name="Déplacer").click()
    expect(page.get_by_role("status")).to_contain_text(f"{tag} est donné à un autre partenaire")
    assert page.goto(f"/equipment/{tag}").status == 404


def test_a_fleet_file_is_previewed_then_imported_all_at_once(staff_page, system):
    page = staff_page
    first, second = unique(), unique()
    fleet = "\n".join(
        [
            HEADER,
            f"{first},,Samsung,Galaxy Tab A9,tablet,jean-vilar,chargeur,good,,,199.90",
            f"{second},,Lenovo,IdeaPad 3,laptop,jean-vilar,,new,,2025-01-10,",
        ]
    )
    page.goto("/equipment")
    page.get_by_role("link", name="Importer un fichier CSV").click()
    assert_accessible(page, "equipment import, choosing a file")
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "parc.csv", "mimeType": "text/csv", "buffer": fleet.encode()}
    )
    page.get_by_role("button", name="Voir ce qui va changer").click()
    expect(page.get_by_role("heading", name="Ce qui va changer")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Nouveaux appareils : 2.")
    expect(page.get_by_role("row").filter(has_text=second)).to_contain_text("nouvel appareil")
    assert_accessible(page, "equipment import, preview")
    assert found(system, first) == 0  # nothing yet

    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("status")).to_contain_text("Le fichier est importé.")
    expect(page.get_by_role("status")).to_contain_text("Nouveaux appareils : 2.")
    assert_accessible(page, "equipment import, done")
    assert found(system, first) == found(system, second) == 1
    page.reload()  # the import is not sent again
    assert found(system, first) == 1


def test_a_file_with_one_bad_row_changes_nothing_and_names_its_line_and_column(staff_page, system):
    page = staff_page
    good, bad = unique(), unique()
    fleet = "\n".join(
        [
            HEADER,
            f"{good},,Samsung,Galaxy Tab A9,tablet,jean-vilar,,good,,,",
            f"{bad},,Samsung,Galaxy Tab A9,tablete,jean-vilar,,good,,,",
        ]
    )
    page.goto("/equipment/import")
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "parc.csv", "mimeType": "text/csv", "buffer": fleet.encode()}
    )
    page.get_by_role("button", name="Voir ce qui va changer").click()
    expect(page.get_by_role("alert")).to_contain_text("rien n'a changé")
    problem = page.get_by_role("table", name="Chaque erreur").get_by_role("row").nth(1)
    expect(problem.get_by_role("rowheader")).to_have_text("3")
    expect(problem).to_contain_text("category")
    expect(problem).to_contain_text("Aucun type d'appareil n'a le code « tablete ».")
    expect(page.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
    assert_accessible(page, "equipment import, refused")
    assert found(system, good) == 0


def test_the_export_opens_in_columns_in_a_french_spreadsheet_and_labels_print(staff_page, fresh):
    page = staff_page
    tag = fresh.device(
        "laptop", purchase_cost="1249.90", accessories=["chargeur", "souris"], notes="écran rayé"
    )
    page.goto(f"/equipment?device_search={tag}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger cette liste").click()
    content = open(download.value.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8's byte-order mark
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ["asset_tag", "serial_number", "make"]
    assert len(lines) == 2 and lines[1].startswith(f"{tag};;Lenovo;ThinkPad E14;laptop;")
    assert ";chargeur;souris;" not in lines[1] and '"chargeur;souris"' in lines[1]
    assert ";1249,90;" in lines[1] and ";écran rayé;" in lines[1]

    # It imports back unchanged, as saved (UTF-8) or by an older spreadsheet (Windows-1252).
    for saved in (content, content.decode("utf-8-sig").encode("cp1252")):
        page.goto("/equipment/import")
        page.get_by_label("Fichier CSV").set_input_files(
            {"name": "appareils.csv", "mimeType": "text/csv", "buffer": saved}
        )
        page.get_by_role("button", name="Voir ce qui va changer").click()
        expect(page.get_by_role("status")).to_contain_text("Sans changement : 1.")
        expect(page.get_by_role("row").filter(has_text=tag)).to_contain_text("rien ne change")

    page.goto(f"/equipment?device_search={tag}")

    page.get_by_role("checkbox", name=f"Étiquette de {tag}").check()
    with page.expect_response(re.compile(r"/equipment/labels\.pdf")) as answer:
        page.get_by_role("button", name="Imprimer les étiquettes").click()
    assert answer.value.headers["content-type"] == "application/pdf"
    # The browser shows it in its PDF viewer; the sheet itself, as printed:
    sheet = page.request.get(answer.value.url)
    assert sheet.body().startswith(b"%PDF") and b"/Type /Page" in sheet.body()


def test_a_long_list_comes_a_page_at_a_time(staff_page, system):
    page = staff_page
    # 21 devices of one model, retired at once so that no booking counts on them.
    model = f"Pager{word()}"
    tags = [unique() for _ in range(21)]
    with system.rpc() as rpc:
        rpc.inventory.import_items_csv(
            "jean-vilar",
            "\n".join([HEADER] + [f"{t},,Acme,{model},tablet,jean-vilar,,good,,," for t in tags]),
        )
        for tag in tags:
            rpc.inventory.change_status(tag, {"status": "retired", "reason": "test des pages"})
    page.goto(f"/equipment?device_search={model}")
    expect(page.get_by_role("heading", name="Appareils trouvés : 21")).to_be_visible()
    expect(page.get_by_role("table").get_by_role("rowheader")).to_have_count(20)
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages).to_contain_text("Page 1 sur 2")
    pages.get_by_role("link", name="Page suivante").click()
    expect(page.get_by_role("table").get_by_role("rowheader")).to_have_text([sorted(tags)[-1]])
    expect(page.get_by_role("table")).to_contain_text("retiré du parc")
    assert_accessible(page, "equipment list, last page")
    page.get_by_role("link", name="Page précédente").click()
    expect(page.get_by_role("table").get_by_role("rowheader").first).to_have_text(sorted(tags)[0])


def test_the_list_fits_a_phone_in_arabic_right_to_left(open_page):
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)
    page.goto("/equipment?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.get_by_role("table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "equipment list, arabic, phone")


# --- the walls, over plain HTTP ---------------------------------------------------------------


def found(system, tag) -> int:
    staff = system.sign_in(STAFF_JEAN_VILAR)
    return staff.get("/api/items", params={"search": tag}).json()["total"]


@pytest.fixture(scope="module")
def theirs(system):
    """A device of Espace Mistral, which Centre Jean Vilar's staff do not see."""
    return Fresh(system).device("tablet", partner="mistral")


@pytest.fixture(scope="module")
def callers(system):
    resident = system.world.residents["jean-vilar"]
    return {
        "nobody": system.client(),
        "resident": system.resident_session(resident),
        "staff": system.sign_in(STAFF_JEAN_VILAR),
        "manager": system.sign_in(MANAGER),
    }


# Every route of the pages, with a valid form: path, form.
ROUTES = [
    ("GET", "/equipment", None),
    ("GET", "/equipment/new", None),
    ("POST", "/equipment/new", {"asset_tag": "JV-WALL-1", "device_make": "A", "device_model": "B"}),
    ("GET", "/equipment/import", None),
    ("POST", "/equipment/import", {}),
    ("POST", "/equipment/import/confirm", {"csv_text": HEADER}),
    ("GET", "/equipment/export.csv", None),
    ("GET", "/equipment/labels.pdf?asset_tag={tag}", None),
    ("GET", "/equipment/{tag}", None),
    ("GET", "/equipment/{tag}/edit", None),
    (
        "POST",
        "/equipment/{tag}/edit",
        {"device_make": "Samsung", "device_model": "Tab", "device_notes": "mine"},
    ),
    ("POST", "/equipment/{tag}/status", {"device_action": "retire", "device_reason": "cassé"}),
    ("POST", "/equipment/{tag}/wipe", {}),
    (
        "POST",
        "/equipment/{tag}/transfer",
        {
            "device_to_site": "jean-vilar",
            "device_to_partner": "jean-vilar",
            "device_transfer_reason": "à moi",
        },
    ),
]
ON_A_DEVICE = [route for route in ROUTES if "{tag}" in route[1]]
POSTS = [route for route in ROUTES if route[0] == "POST"]


def send(client, method, path, form, tag, csrf=True):
    cookies = {"csrf": CSRF} if csrf else {}
    data = {**(form or {}), **({"csrf_token": CSRF} if csrf else {})} if method == "POST" else None
    return client.request(
        method,
        path.format(tag=tag),
        data=data,
        cookies=cookies,
        allow_redirects=False,
        headers={"Accept": "text/html"},
    )


@pytest.mark.parametrize(
    "who, home", [("nobody", "/sign-in"), ("resident", "/my-loans"), ("manager", "/manage")]
)
@pytest.mark.parametrize("method, path, form", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_only_partner_staff_reach_the_equipment_pages(
    callers, theirs, method, path, form, who, home
):
    response = send(callers[who], method, path, form, theirs)

    assert response.status_code == 303, (response.status_code, response.text[:300])
    assert response.headers["Location"].endswith(home)
    assert theirs not in response.text


@pytest.mark.parametrize("method, path, form", ON_A_DEVICE, ids=[p for _, p, _ in ON_A_DEVICE])
def test_another_partners_device_answers_as_one_that_does_not_exist(
    system, callers, theirs, method, path, form
):
    other = send(callers["staff"], method, path, form, theirs)
    missing = send(callers["staff"], method, path, form, "JV-NONE-999")

    assert other.status_code == missing.status_code == 404
    assert other.text.replace(theirs, "…") == missing.text.replace("JV-NONE-999", "…")
    assert still_available(system, theirs)


@pytest.mark.parametrize("method, path, form", POSTS, ids=[p for _, p, _ in POSTS])
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    system, callers, fresh_tag, method, path, form
):
    response = send(callers["staff"], method, path, form, fresh_tag, csrf=False)

    assert response.status_code == 403
    assert "Formulaire expiré" in response.text
    assert still_available(system, fresh_tag)


@pytest.fixture(scope="module")
def fresh_tag(system):
    """A device of Centre Jean Vilar's own, which its staff may change."""
    return Fresh(system).device("tablet")


def test_the_list_and_its_export_never_show_another_partners_devices(callers, theirs):
    staff = callers["staff"]
    for query in (
        {"device_search": theirs},
        {"device_search": "MI-"},
        {"device_owner": "mistral"},
        {"device_site": "mistral"},
        {"device_search": theirs, "page": "1"},
    ):
        page = staff.get("/equipment", params=query, headers={"Accept": "text/html"})
        exported = staff.get("/equipment/export.csv", params=query)
        assert page.status_code == exported.status_code == 200
        # (the search field shows what was typed; no row, no link names the device)
        assert f"<bdi>{theirs}</bdi>" not in page.text and theirs not in exported.text
    assert (
        "Appareils trouvés : 0"
        in staff.get(
            "/equipment", params={"device_search": theirs}, headers={"Accept": "text/html"}
        ).text
    )


def still_available(system, tag) -> bool:
    """The device as it was registered: available, no notes, at home."""
    with system.rpc() as rpc:
        item = rpc.inventory.get_item(tag)
    return (item["status"], item["notes"], item["current_site"]) == (
        "available",
        "",
        item["home_site"],
    )
