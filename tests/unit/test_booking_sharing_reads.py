"""A reservation by category reads its site and the sharing rules that may govern
it at once: the same rules as read on their own, and the same refusal of an
unknown site."""

import pytest

from partanum.errors import InvalidInput
from services.booking import domain, sharing
from services.booking.allocations import site_with_rules
from services.booking.models import SharingRule, Site

TABLET, LAPTOP = 1, 2
MISTRAL, MAIRIE, MAISON = 10, 20, 30


@pytest.fixture
def tx(sqlite_unit_of_work):
    unit_of_work, _engine = sqlite_unit_of_work("booking")
    with unit_of_work.transaction() as tx:
        tx.session.add(Site(id=1, code="mistral", partner_id=MISTRAL, opening_hours={}))
        yield tx


def as_read(rules):
    return sorted(
        (
            domain.Sharing(r.partner_id, r.category_id, r.shared, r.max_per_reservation)
            for r in rules
        ),
        key=lambda rule: (rule.partner_id, rule.category_id or 0),
    )


def test_a_site_comes_with_the_rules_for_its_category_and_for_all_categories(tx):
    tx.session.add_all(
        [
            SharingRule(partner_id=MISTRAL, category_id=TABLET, shared=True, max_per_reservation=2),
            SharingRule(partner_id=MAIRIE, category_id=None, shared=False),
            SharingRule(partner_id=MAISON, category_id=LAPTOP, shared=False),
        ]
    )
    tx.session.flush()

    site, rules = site_with_rules(tx, "mistral", [TABLET])

    assert (site.id, site.code, site.partner_id) == (1, "mistral", MISTRAL)
    expected = [domain.Sharing(MISTRAL, TABLET, True, 2), domain.Sharing(MAIRIE, None, False)]
    assert as_read(rules) == as_read(sharing.rules_for(tx, [TABLET])) == expected


def test_a_site_without_rules_comes_alone(tx):
    tx.session.flush()

    site, rules = site_with_rules(tx, "mistral", [TABLET])

    assert site.code == "mistral" and rules == []


def test_an_unknown_site_is_refused_as_on_its_own(tx):
    with pytest.raises(InvalidInput) as refused:
        site_with_rules(tx, "nowhere", [TABLET])

    assert refused.value.fields == {"site": ["no site with code 'nowhere'"]}
