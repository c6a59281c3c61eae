"""What every page shares, without a server: the error pages, the addresses the
language links lead to, and the refused form kept for its GET page."""

from http.cookies import SimpleCookie

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway import problems, routing
from services.gateway.authz import Principal
from services.gateway.pages import frame
from services.gateway.pages.frame import Frame


def request(
    path="/desk", method="GET", cookies=None, language="fr", accept="*/*", **options
) -> Request:
    headers = {"Accept-Language": language, "Accept": accept}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return Request(
        EnvironBuilder(path=path, method=method, headers=headers, **options).get_environ()
    )


INES = Principal(role="staff", account_id=1, partner_id=1)
NOEMIE = Principal(role="staff", account_id=2, partner_id=1)


class Desk(Frame):
    def page_secret(self) -> bytes:
        return b"k" * 32


def cookies_set(response) -> dict:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.getlist("Set-Cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def test_a_fault_is_a_page_in_the_readers_language_that_tells_nothing_of_the_cause():
    answer = problems.response_for(RuntimeError("password=hunter2"))

    page = routing._for_browser(request("/desk", language="ar"), answer)

    assert page.status_code == 500 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'dir="rtl"' in html and "hunter2" not in html and "Traceback" not in html


def test_the_api_and_clients_asking_for_json_keep_their_problem():
    answer = problems.response_for(problems.Problem(404, "Not found"))
    for asked in (
        request("/api/items/JV-LAP-999"),
        request("/nowhere", accept="application/json"),
    ):
        assert routing._for_browser(asked, answer) is answer


def test_a_service_that_does_not_answer_says_when_to_try_again():
    answer = problems.response_for(ConnectionError())

    page = routing._for_browser(request("/reserve?reservation=3"), answer)

    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert 'href="/reserve?reservation=3"' in page.get_data(as_text=True)


def test_the_language_links_keep_the_query_and_after_a_post_lead_to_the_form():
    shown = frame.language_links(request("/desk", query_string="loan=12&lang=fr"))
    assert shown["ar"] == "/desk?loan=12&lang=ar"
    assert frame.language_links(request("/desk/check-out", method="POST"))["en"] == "/desk?lang=en"
    assert frame.get_address(request("/nowhere/at/all", method="POST")) == "/"


def test_a_refused_form_waits_for_its_page_under_a_mark_and_a_signature():
    desk = Desk()
    sent = request(
        "/desk/check-out",
        method="POST",
        data={"asset_tag": "JV-LAP-001", "card_number": "RS-0042", "password": "secret"},
    )

    answer = desk.page_refused(
        sent,
        INES,
        "/desk",
        {"card_number": "Aucun habitant n'a cette carte."},
        keep=("card_number",),
    )

    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith("/desk?errors=") and "RS-0042" not in location
    mark = location.partition("=")[2]
    kept = cookies_set(answer)[frame.REFUSAL_COOKIE]
    shown = desk.page_refusal(
        request("/desk", query_string=f"errors={mark}", cookies={frame.REFUSAL_COOKIE: kept}), INES
    )
    assert shown is not None
    assert shown.errors == {"card_number": "Aucun habitant n'a cette carte."}
    assert shown.values == {"card_number": "RS-0042"}  # only what was kept

    body, _, signature = kept.rpartition(".")
    for cookie, query, path, who in (
        (kept, "errors=another", "/desk", INES),  # another refusal's mark
        (kept, "errors=%C3%A9", "/desk", INES),  # a mark typed by hand
        (kept, "", "/desk", INES),  # the desk opened anew
        (kept, f"errors={mark}", "/reserve", INES),  # another page
        (kept, f"errors={mark}", "/desk", NOEMIE),  # someone else signed in since
        (body + "." + signature[::-1], f"errors={mark}", "/desk", INES),  # changed by hand
        (body + ".é", f"errors={mark}", "/desk", INES),
    ):
        asked = request(path, query_string=query, cookies={frame.REFUSAL_COOKIE: cookie})
        assert desk.page_refusal(asked, who) is None


def test_a_form_refused_again_is_shown_under_its_new_mark_only():
    sent = request("/reserve", method="POST", data={"quantity": "0"})

    answer = Desk().page_refused(
        sent, INES, "/reserve?week=2&errors=old", {"quantity": "…"}, keep=("quantity",)
    )

    location = answer.headers["Location"]
    assert location.startswith("/reserve?week=2&errors=") and "errors=old" not in location


# --- a sealed hidden field: what a form's first step found ------------------------------------


def test_a_sealed_value_opens_for_its_caller_and_purpose_within_its_time():
    desk = Desk()
    sealed = desk.page_seal(INES, "lending", {"resident_id": 7})

    assert desk.page_unsealed(INES, "lending", sealed, 60) == {"resident_id": 7}
    assert desk.page_unsealed(NOEMIE, "lending", sealed, 60) is None  # another account
    assert desk.page_unsealed(INES, "taking-back", sealed, 60) is None  # another form
    assert desk.page_unsealed(INES, "lending", sealed, -1) is None  # too old
    assert desk.page_unsealed(INES, "lending", None, 60) is None


def test_a_sealed_value_changed_or_made_elsewhere_opens_nothing():
    desk = Desk()
    body, _, signature = desk.page_seal(INES, "lending", {"resident_id": 7}).rpartition(".")
    changed = frame._signed(b"k" * 32, {"resident_id": 8}, "refused-form")  # another purpose
    forged = frame._signed(b"x" * 32, {"purpose": "lending", "who": INES.actor}, "sealed")

    for value in (f"{body}A.{signature}", changed, forged, "not-sealed", ""):
        assert desk.page_unsealed(INES, "lending", value, 60) is None
