"""Who may do what to a device, decided in one place (services/gateway/api/scope.py):
its owner's staff change it wherever it stands; the staff of the site where it
stands take it back from a loan there and record its wipe. And the pages reach
the services only through the operations the API calls, so they cannot skip a
check the API makes."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from services.gateway.api.scope import Scope
from services.gateway.authz import Principal

JEAN_VILAR, MISTRAL = 1, 2
JV_DESK = Principal(role="staff", account_id=12, partner_id=JEAN_VILAR)
MISTRAL_DESK = Principal(role="staff", account_id=13, partner_id=MISTRAL)
MANAGER = Principal(role="manager", account_id=2)
AMINA = Principal(role="resident", resident_id=7)
# Espace Mistral's webcam, sent to Centre Jean Vilar's site for a workshop.
WEBCAM_AT_JEAN_VILAR = {
    "asset_tag": "MI-CAM-001",
    "owner": "mistral",
    "owner_id": MISTRAL,
    "current_site": "jean-vilar",
    "current_site_partner_id": JEAN_VILAR,
}
WEBCAM_AT_HOME = {
    **WEBCAM_AT_JEAN_VILAR,
    "current_site": "mistral",
    "current_site_partner_id": MISTRAL,
}
# Lent at Centre Jean Vilar's desk (site 1), to come back there.
LOAN_AT_JEAN_VILAR = {
    "id": 5,
    "partner_id": JEAN_VILAR,
    "site_id": 1,
    "return_site_id": 1,
    "resident_id": 7,
}


class Inventory:
    """The network as the inventory answers for a partner: one site each."""

    def get_partner(self, partner_id):
        code = {JEAN_VILAR: "jean-vilar", MISTRAL: "mistral"}[partner_id]
        return {"id": partner_id, "code": code, "sites": [{"id": partner_id, "code": code}]}


def scope(who):
    return Scope(who, SimpleNamespace(inventory=Inventory()))


def test_only_the_owners_staff_change_a_device_wherever_it_stands():
    assert scope(MISTRAL_DESK).may_change_item(WEBCAM_AT_JEAN_VILAR)
    assert scope(MISTRAL_DESK).may_change_item(WEBCAM_AT_HOME)
    assert not scope(JV_DESK).may_change_item(WEBCAM_AT_JEAN_VILAR)
    assert not scope(MANAGER).may_change_item(WEBCAM_AT_JEAN_VILAR)
    assert not scope(AMINA).may_change_item(WEBCAM_AT_JEAN_VILAR)


def test_the_staff_of_the_site_where_a_device_stands_record_its_wipe():
    assert scope(JV_DESK).may_wipe(WEBCAM_AT_JEAN_VILAR)
    assert not scope(MISTRAL_DESK).may_wipe(WEBCAM_AT_JEAN_VILAR)  # it is not in their hands
    assert scope(MISTRAL_DESK).may_wipe(WEBCAM_AT_HOME)
    assert not scope(JV_DESK).may_wipe(WEBCAM_AT_HOME)
    assert not scope(MANAGER).may_wipe(WEBCAM_AT_HOME)


def test_a_loan_is_taken_back_only_at_the_desk_it_is_due_back_at():
    assert scope(JV_DESK).may_take_back(LOAN_AT_JEAN_VILAR)
    assert not scope(MISTRAL_DESK).may_take_back(LOAN_AT_JEAN_VILAR)
    acting_for_amina = Principal(role="staff", account_id=13, partner_id=MISTRAL, acting_for=7)
    assert not scope(acting_for_amina).may_take_back(LOAN_AT_JEAN_VILAR)
    assert not scope(MANAGER).may_take_back(LOAN_AT_JEAN_VILAR)


def test_a_device_is_seen_where_it_stands_but_changed_there_it_is_refused_not_hidden():
    from services.gateway.authz import Denied

    with pytest.raises(Denied) as refused:
        scope(JV_DESK).require_change_item(WEBCAM_AT_JEAN_VILAR)
    assert refused.value.action  # 403: they see it, they may not change it
    with pytest.raises(Denied) as hidden:
        scope(JV_DESK).require_change_item(WEBCAM_AT_HOME)
    assert not hidden.value.action  # 404: not theirs to see
    scope(JV_DESK).require_wipe(WEBCAM_AT_JEAN_VILAR)
    scope(MISTRAL_DESK).require_change_item(WEBCAM_AT_JEAN_VILAR)


PAGES = Path(__file__).resolve().parents[2] / "services" / "gateway" / "pages"
SERVICES = {"inventory", "booking", "notifications", "audit"}


@pytest.mark.parametrize("module", sorted(path.name for path in PAGES.glob("*.py")))
def test_pages_reach_the_services_only_through_the_operations_the_api_calls(module):
    tree = ast.parse((PAGES / module).read_text())

    direct = [
        f"line {node.lineno}: self.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in SERVICES
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ]

    assert direct == [], f"{module} calls a service's RPC itself"
