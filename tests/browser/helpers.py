"""What the browser tests share: signing in through the forms, and axe-core's verdict
on a page state (WCAG 2.1 A and AA rules, the basis of RGAA 4.1)."""

import uuid

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.e2e.gateway_system import PASSWORD

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()
_checked: set[str] = set()


def assert_accessible(page: Page, state: str) -> None:
    """No violation of a WCAG 2.1 A or AA rule on the page as it is now. `state` names
    what is on screen ("desk, lending refused"); each state is checked once a session,
    as axe takes a second or two a page on this machine."""
    if state in _checked:
        return
    result = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    violations = result.response["violations"]
    assert not violations, f"{state} ({page.url}):\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in violations
    )
    _checked.add(state)


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """A member of staff (or a manager, the administrator) signs in with the form, in
    whatever language the page speaks."""
    page.goto("/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url(lambda url: "/sign-in" not in url)


def word(length: int = 6) -> str:
    """A unique word of letters only: a place's or a device's name may hold no run of
    six digits (it would look like a phone number and be refused), and a random hex
    suffix makes one about one time in sixteen."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:length])
