"""Reservations for partner staff in a real browser: reserving (a number of tablets,
devices by their numbers, every week), the list, the week's calendar, picked up,
returned, cancelled; a refusal's alternatives; the calendar on a phone in Arabic.
Then the walls of every reservation page, with plain HTTP.

Each journey works on a day of its own, months ahead, and on devices of its own
(`fresh.device`), so that no other test's reservations get in the way; the network's
sites are open every day from 8:00 to 20:00 (gateway_system.ALWAYS_OPEN)."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from partanum.errors import InvalidInput
from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR, Fresh
from tests.browser.helpers import assert_accessible, sign_in, word
from tests.e2e import gateway_system
from tests.waiting import wait_until

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = 0, 1, 2, 3, 4
CSRF = "c" * 43


def day_ahead(weekday: int, weeks: int) -> date:
    """That weekday, about `weeks` weeks from today."""
    around = date.today() + timedelta(weeks=weeks)
    return around + timedelta(days=(weekday - around.weekday()) % 7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def window(day: date, starts: str, ends: str) -> dict:
    days_ahead = (day - date.today()).days
    hour, hours = int(starts[:2]), int(ends[:2]) - int(starts[:2])
    return gateway_system.local_window(days_ahead=days_ahead, hour=hour, hours=hours)


def reserve_over_rpc(system, partner: str, site: str, tags: list, day: date, **more) -> dict:
    fresh = Fresh(system)
    with system.rpc() as rpc:
        return rpc.booking.reserve(
            {
                "partner_id": fresh.partner(partner).id,
                "site": site,
                "asset_tags": tags,
                **window(day, "10:00", "12:00"),
                **more,
            }
        )


def fill_when(page, day: date, starts: str, ends: str) -> None:
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Heure de début").fill(starts)
    page.get_by_label("Heure de fin").fill(ends)


def number_in(url: str) -> int:
    return int(re.search(r"/reservations/(\d+)", url).group(1))


def card(page, number: int):
    return page.locator(".reservations-card").filter(
        has=page.get_by_role("heading", name=f"Réservation n° {number}", exact=True)
    )


# --- journeys ---------------------------------------------------------------------------------


def test_three_tablets_are_reserved_listed_seen_in_the_week_picked_up_and_returned(
    staff_page, fresh
):
    page = staff_page
    for _ in range(3):
        fresh.device("tablet")  # the site has enough free tablets whatever others reserved
    tuesday = day_ahead(TUESDAY, weeks=36)

    page.get_by_role("link", name="Réservations", exact=True).click()
    page.get_by_role("link", name="Faire une réservation").click()
    assert_accessible(page, "reserve form")
    page.get_by_label("Type d'appareil").select_option(label="Tablette")
    page.get_by_label("Nombre d'appareils", exact=True).fill("3")
    page.get_by_label("Lieu").select_option("jean-vilar")
    fill_when(page, tuesday, "14:00", "16:00")
    page.get_by_label("Note").fill("Atelier CAF")
    page.get_by_role("button", name="Réserver", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("confirmée")
    number = number_in(page.url)
    assert page.get_by_role("heading", level=1).inner_text() == f"Réservation n° {number}"
    assert "confirmée, à remettre" in page.locator("dl").inner_text()
    assert len(page.locator("dl dd").nth(2).inner_text().split(", ")) == 3
    assert_accessible(page, "reservation, just reserved")

    page.get_by_role("link", name="Retour à la liste").click()
    listed = card(page, number)
    expect(listed).to_contain_text("Appareils (3)")
    expect(listed).to_contain_text("Atelier CAF")
    assert_accessible(page, "reservations list")

    page.goto(f"/reservations/week?site=jean-vilar&week={tuesday.isoformat()}")
    table = page.get_by_role("table")
    expect(table).to_contain_text(f"n° {number}, 14:00–16:00, appareils : 3")
    # The reservation sits in Tuesday's column, in the 14:00 row.
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="14:00"))
    assert f"n° {number}," in row.get_by_role("cell").nth(TUESDAY).inner_text()
    assert_accessible(page, "reservations week")
    page.get_by_role("link", name="Semaine suivante").click()
    expect(page.get_by_role("table")).not_to_contain_text(f"n° {number},")
    page.get_by_role("link", name="Semaine précédente").click()
    page.get_by_role("link", name=f"n° {number}, 14:00–16:00, appareils : 3").click()
    page.get_by_role("link", name="Retour à la liste").click()

    card(page, number).get_by_role("button", name="Matériel remis").click()
    expect(page.get_by_role("status")).to_contain_text("le matériel est remis")
    assert "matériel remis, à rendre" in page.locator("dl").inner_text()
    assert_accessible(page, "reservation, picked up")
    page.get_by_role("button", name="Matériel rendu").click()
    expect(page.get_by_role("status")).to_contain_text("le matériel est rendu")
    assert "matériel rendu" in page.locator("dl").inner_text()
    expect(page.get_by_role("button")).to_have_count(1)  # signing out: nothing left to do
    assert_accessible(page, "reservation, returned")


def test_a_weekly_series_is_reserved_and_the_rest_of_it_cancelled(staff_page, fresh):
    page = staff_page
    tag = fresh.device("laptop")
    first = day_ahead(THURSDAY, weeks=37)

    page.goto("/reserve")
    page.get_by_label("Des appareils précis, par leur numéro").check()
    page.get_by_label("Numéros d'inventaire").fill(tag.lower())
    fill_when(page, first, "10:00", "12:00")
    page.get_by_label("Chaque semaine jusqu'au").fill((first + timedelta(weeks=3)).isoformat())
    page.get_by_role("button", name="Réserver", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("et les semaines suivantes aussi")
    first_number = number_in(page.url)
    assert "Revient chaque semaine." in page.locator("dl").inner_text()
    assert_accessible(page, "reservation of a series")

    page.get_by_role("link", name="Voir la semaine en calendrier").click()
    page.get_by_role("link", name="Semaine suivante").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="10:00"))
    row.get_by_role("cell").nth(THURSDAY).get_by_role("link").click()
    second_number = number_in(page.url)
    assert second_number != first_number and tag in page.locator("dl").inner_text()
    page.get_by_role("button", name="Annuler celle-ci et les suivantes de la série").click()

    expect(page.get_by_role("status")).to_contain_text("(3 en tout)")
    assert "annulée" in page.locator("dl").inner_text()
    assert_accessible(page, "reservation, rest of the series cancelled")
    page.goto(f"/reservations/{first_number}")
    assert "confirmée, à remettre" in page.locator("dl").inner_text()
    page.goto(f"/reservations/week?site=jean-vilar&week={(first + timedelta(weeks=3)).isoformat()}")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="10:00"))
    expect(row.get_by_role("cell").nth(THURSDAY)).to_have_text("")


def test_a_series_with_a_week_taken_is_booked_for_the_other_weeks(staff_page, fresh, system):
    page = staff_page
    tag = fresh.device("laptop")
    first = day_ahead(THURSDAY, weeks=43)
    taken = reserve_over_rpc(system, "jean-vilar", "jean-vilar", [tag], first + timedelta(weeks=1))

    page.goto("/reserve")
    page.get_by_label("Des appareils précis, par leur numéro").check()
    page.get_by_label("Numéros d'inventaire").fill(tag)
    fill_when(page, first, "10:00", "12:00")
    page.get_by_label("Chaque semaine jusqu'au").fill((first + timedelta(weeks=2)).isoformat())
    page.get_by_role("button", name="Réserver", exact=True).click()

    refusal = page.get_by_role("region", name="Pas assez d'appareils libres à ce moment")
    expect(refusal.get_by_role("listitem")).to_have_count(1)
    assert_accessible(page, "reserve, a week of the series refused")
    refusal.get_by_label("Réserver seulement les autres semaines").check()
    refusal.get_by_role("button", name="Réserver ce choix").click()

    expect(page.get_by_role("status")).to_contain_text("et les semaines suivantes aussi")
    page.goto(f"/reservations/week?site=jean-vilar&week={(first + timedelta(weeks=1)).isoformat()}")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="10:00"))
    links = row.get_by_role("cell").nth(THURSDAY).get_by_role("link")
    expect(links).to_have_text([re.compile(rf"^n° {taken['id']},")])
    page.get_by_role("link", name="Semaine suivante").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="10:00"))
    expect(row.get_by_role("cell").nth(THURSDAY).get_by_role("link")).to_have_count(1)


def test_a_refused_reservation_offers_other_times_and_one_is_booked(staff_page, fresh, system):
    page = staff_page
    tag = fresh.device("laptop")
    wednesday = day_ahead(WEDNESDAY, weeks=38)
    reserve_over_rpc(system, "jean-vilar", "jean-vilar", [tag], wednesday)

    page.goto("/reserve")
    page.get_by_label("Des appareils précis, par leur numéro").check()
    fill_when(page, wednesday, "10:00", "12:00")
    page.get_by_role("button", name="Réserver", exact=True).click()
    # No number typed: the summary names the field, and what was typed stays.
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Numéros d'inventaire : Saisissez les numéros séparés par des virgules, "
            "par exemple JV-TAB-001, JV-TAB-002."
        ]
    )
    expect(page.get_by_label("Date", exact=True)).to_have_value(wednesday.isoformat())
    expect(page.get_by_label("Des appareils précis, par leur numéro")).to_be_checked()
    assert_accessible(page, "reserve, a field at fault")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Numéros d'inventaire")).to_be_focused()
    page.keyboard.type(tag)
    page.get_by_role("button", name="Réserver", exact=True).click()

    refusal = page.get_by_role("region", name="Pas assez d'appareils libres à ce moment")
    expect(refusal).to_be_visible()
    choices = refusal.get_by_role("radio")
    assert choices.count() >= 1 and choices.first.is_checked()
    chosen = refusal.locator("label").first.inner_text()
    assert_accessible(page, "reserve, refused with alternatives")
    refusal.get_by_role("button", name="Réserver ce choix").click()

    expect(page.get_by_role("status")).to_contain_text("confirmée")
    details = page.locator("dl").inner_text()
    assert tag in details and "confirmée, à remettre" in details
    start, end = re.search(r"de (\d\d:\d\d) à (\d\d:\d\d)", chosen).groups()
    assert f"de {start} à {end}" in details


def a_kit(system, fresh, tags: list) -> str:
    """A kit of those devices, known to the booking when this returns; its code."""
    code = f"kit-{word(8)}"
    probe_day = day_ahead(MONDAY, weeks=44)
    with system.rpc() as rpc:
        rpc.inventory.register_kit({"code": code, "name": "Valise atelier", "asset_tags": tags})

        def known() -> bool:
            try:  # the booking reserves a kit it knows: try one, and cancel it
                probe = rpc.booking.reserve(
                    {
                        "partner_id": fresh.partner("jean-vilar").id,
                        "site": "jean-vilar",
                        "kit": code,
                        **window(probe_day, "10:00", "11:00"),
                    }
                )
            except InvalidInput:
                return False
            rpc.booking.cancel_reservation(probe["id"])
            return True

        wait_until(known, timeout=30, what=f"the booking to know {code}")
    return code


def test_a_kit_is_reserved_then_cancelled(staff_page, fresh, system):
    page = staff_page
    tags = sorted([fresh.device("laptop"), fresh.device("tablet")])
    kit = a_kit(system, fresh, tags)
    friday = day_ahead(FRIDAY, weeks=39)

    page.goto("/reserve")
    page.get_by_label("Un kit", exact=True).check()
    page.get_by_label("Kit", exact=True).select_option(kit)
    fill_when(page, friday, "09:00", "11:00")
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("confirmée")
    number = number_in(page.url)
    assert ", ".join(tags) in page.locator("dl").inner_text()

    page.goto("/reservations?site=jean-vilar")
    card(page, number).get_by_role("link", name=f"Réservation n° {number}").click()
    page.get_by_role("button", name="Annuler cette réservation").click()

    expect(page.get_by_role("status")).to_contain_text(f"Réservation n° {number} annulée.")
    assert "annulée" in page.locator("dl").inner_text()
    expect(page.get_by_role("button", name="Matériel remis")).to_have_count(0)
    assert_accessible(page, "reservation, cancelled")
    page.goto("/reservations?site=jean-vilar")
    expect(card(page, number)).to_contain_text("État : annulée")
    expect(card(page, number).get_by_role("button")).to_have_count(0)


def test_the_week_fits_a_phone_in_arabic_as_a_list_per_day(open_page, fresh, system):
    tag = fresh.device("laptop")
    friday = day_ahead(FRIDAY, weeks=40)
    number = reserve_over_rpc(system, "jean-vilar", "jean-vilar", [tag], friday)["id"]
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)

    page.goto(f"/reservations/week?lang=ar&site=jean-vilar&week={friday.isoformat()}")

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_role("table")).to_be_hidden()
    days = page.locator(".reservations-week-days")
    expect(days.get_by_role("heading", level=3)).to_have_count(7)
    expect(days.locator(f'a[href="/reservations/{number}"]')).to_be_visible()
    assert_accessible(page, "reservations week, arabic, phone")
    page.goto("/reservations?site=jean-vilar")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "reservations list, arabic, phone")


# --- walls, per route ---------------------------------------------------------------------------

ROUTES = [
    ("GET", "/reservations/{id}"),
    ("POST", "/reservations/{id}/pick-up"),
    ("POST", "/reservations/{id}/return"),
    ("POST", "/reservations/{id}/cancel"),
    ("POST", "/reservations/{id}/cancel-series"),
]
LISTS = ["/reservations", "/reservations/week"]
MISSING_ID = 987654321


@pytest.fixture(scope="module")
def walls(system):
    """Mistral's weekly series at its own site, Mistral's reservation at Jean Vilar's
    desk, and Jean Vilar's own reservation; the people who ask."""
    fresh = Fresh(system)
    mistral_tag, visiting_tag, own_tag = (
        fresh.device("laptop", partner="mistral"),
        fresh.device("laptop", partner="mistral"),
        fresh.device("laptop"),
    )
    day = day_ahead(TUESDAY, weeks=41)
    with system.rpc() as rpc:
        series = rpc.booking.reserve_weekly(
            {
                "partner_id": fresh.partner("mistral").id,
                "site": "mistral",
                "asset_tags": [mistral_tag],
                "until": (day + timedelta(weeks=1)).isoformat(),
                **window(day, "10:00", "12:00"),
            }
        )
    return {
        "day": day,
        "other": series["reservations"][0]["id"],
        "visiting": reserve_over_rpc(system, "mistral", "jean-vilar", [visiting_tag], day)["id"],
        "own": reserve_over_rpc(system, "jean-vilar", "jean-vilar", [own_tag], day)["id"],
        "staff": system.sign_in(STAFF_JEAN_VILAR),
        "nobody": system.client(),
        "resident": system.resident_session(system.world.residents["jean-vilar"]),
        "manager": system.sign_in("manager@angers.test"),
    }


def ask(client, method, path, csrf=True, **params):
    return client.request(
        method,
        path,
        params=params or None,
        data={"csrf_token": CSRF} if method == "POST" and csrf else None,
        cookies={"csrf": CSRF},
        allow_redirects=False,
        headers={"Accept": "text/html"},
    )


def without(html: str, number: int) -> str:
    """The page with the number asked for taken out (whole numbers only: not utf-8's 8)."""
    return re.sub(rf"(?<![\w-]){number}(?![\w-])", "…", html)


def shows(html: str, number: int) -> bool:
    return re.search(rf"n° {number}\b", html) is not None


def state_of(system, number) -> str:
    with system.rpc() as rpc:
        return rpc.booking.get_reservation(number)["status"]


@pytest.mark.parametrize("method, path", ROUTES + [("GET", p) for p in LISTS])
@pytest.mark.parametrize(
    "who, home", [("nobody", "/sign-in"), ("resident", "/my-loans"), ("manager", "/manage")]
)
def test_only_staff_open_the_reservation_pages(walls, system, method, path, who, home):
    answer = ask(walls[who], method, path.format(id=walls["own"]))

    assert answer.status_code == 303 and answer.headers["Location"].endswith(home)
    assert state_of(system, walls["own"]) == "confirmed"


@pytest.mark.parametrize("method, path", ROUTES)
def test_another_partners_reservation_answers_as_one_that_does_not_exist(
    walls, system, method, path
):
    other = ask(walls["staff"], method, path.format(id=walls["other"]))
    missing = ask(walls["staff"], method, path.format(id=MISSING_ID))

    assert other.status_code == missing.status_code == 404
    assert without(other.text, walls["other"]) == without(missing.text, MISSING_ID)
    assert state_of(system, walls["other"]) == "confirmed"


@pytest.mark.parametrize("method, path", [route for route in ROUTES if route[0] == "POST"])
def test_a_reservation_form_sent_without_its_token_is_refused(walls, system, method, path):
    answer = ask(walls["staff"], method, path.format(id=walls["own"]), csrf=False)

    assert answer.status_code == 403 and "Ce formulaire a expiré" in answer.text
    assert state_of(system, walls["own"]) == "confirmed"


@pytest.mark.parametrize("path", ["/reservations/{id}/cancel", "/reservations/{id}/cancel-series"])
def test_a_desk_hands_over_another_partners_reservation_but_does_not_cancel_it(walls, system, path):
    page = ask(walls["staff"], "GET", f"/reservations/{walls['visiting']}")
    assert page.status_code == 200 and "Matériel remis" in page.text
    assert "Annuler" not in page.text

    answer = ask(walls["staff"], "POST", path.format(id=walls["visiting"]))

    assert answer.status_code == 404
    assert state_of(system, walls["visiting"]) == "confirmed"


@pytest.mark.parametrize("path", LISTS)
def test_the_lists_show_another_partners_reservations_only_at_ones_own_desk(walls, path):
    week = walls["day"].isoformat()
    at_mistral = ask(walls["staff"], "GET", path, site="mistral", week=week)
    at_home = ask(walls["staff"], "GET", path, site="jean-vilar", week=week)
    nowhere = ask(walls["staff"], "GET", path, site="nowhere")

    assert at_mistral.status_code == at_home.status_code == 200
    assert not shows(at_mistral.text, walls["other"])
    assert shows(at_home.text, walls["visiting"]) and shows(at_home.text, walls["own"])
    assert nowhere.status_code == 404


def test_what_a_reservation_no_longer_allows_is_said_with_its_state(walls):
    # Returned before it was picked up: refused, and the page says why.
    answer = ask(walls["staff"], "POST", f"/reservations/{walls['own']}/return")

    assert answer.status_code == 303
    page = walls["staff"].get(answer.headers["Location"], headers={"Accept": "text/html"})
    assert "la réservation a changé entre-temps" in page.text
    assert "confirmée, à remettre" in page.text


@pytest.mark.parametrize("week", ["0001-01-01", "9999-12-31", "next tuesday"])
def test_a_week_nobody_could_mean_shows_this_week(walls, week):
    answer = ask(walls["staff"], "GET", "/reservations/week", site="jean-vilar", week=week)
    this_week = ask(walls["staff"], "GET", "/reservations/week", site="jean-vilar")

    assert answer.status_code == 200
    caption = re.compile(r"<caption>.*?</caption>", re.S)
    assert caption.search(answer.text).group() == caption.search(this_week.text).group()
