"""The rules of lending devices to residents: due dates, limits, renewals,
accessories, and what a resident must give to be registered."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from partanum.errors import InvalidInput, load
from services.booking import domain, schemas

PARIS = ZoneInfo("Europe/Paris")
# Open Tuesday and Saturday mornings, Tuesday afternoons too; closed the rest of the week.
HOURS = {"tuesday": [["09:00", "12:00"], ["13:30", "18:30"]], "saturday": [["10:00", "12:00"]]}
A_TUESDAY = datetime(2026, 12, 1, 15, 0, tzinfo=PARIS)  # 1 December 2026 is a Tuesday


def local(moment):
    return moment.astimezone(PARIS)


def test_a_loan_is_due_at_closing_time_on_the_day_its_loan_days_run_out_if_the_site_is_open():
    due = domain.due_date(A_TUESDAY, 14, HOURS, [], PARIS)

    assert local(due) == datetime(2026, 12, 15, 18, 30, tzinfo=PARIS)
    assert due.tzinfo == UTC


def test_a_due_date_falling_on_a_closed_weekday_moves_to_the_next_open_day():
    due = domain.due_date(A_TUESDAY, 1, HOURS, [], PARIS)  # Wednesday: closed

    assert local(due) == datetime(2026, 12, 5, 12, 0, tzinfo=PARIS)  # Saturday, at noon


def test_a_due_date_never_falls_during_a_closure():
    closures = [["2026-12-15", "2026-12-19"]]

    due = domain.due_date(A_TUESDAY, 14, HOURS, closures, PARIS)

    assert local(due) == datetime(2026, 12, 22, 18, 30, tzinfo=PARIS)


def test_a_due_date_counts_days_in_the_sites_time_zone():
    late_monday_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already Tuesday in Paris

    due = domain.due_date(late_monday_utc, 7, HOURS, [], PARIS)

    assert local(due).date().isoformat() == "2026-12-08"


def test_a_site_that_never_opens_gives_no_due_date():
    with pytest.raises(domain.NoReturnDay):
        domain.due_date(A_TUESDAY, 14, {}, [], PARIS)


def test_a_resident_under_the_limit_with_nothing_overdue_may_borrow():
    assert domain.borrowing_refusal(active_loans=1, overdue_loans=0, max_loans=2) is None


def test_a_resident_at_the_limit_may_not_borrow_another_device():
    assert domain.borrowing_refusal(active_loans=2, overdue_loans=0, max_loans=2) == "too_many"


def test_an_overdue_loan_blocks_borrowing_and_is_what_staff_hear_about_first():
    assert domain.borrowing_refusal(active_loans=2, overdue_loans=1, max_loans=2) == "overdue"


def test_a_loan_may_be_renewed_while_renewals_remain_and_nobody_waits():
    assert domain.renewal_refusal(renewals=1, max_renewals=2, people_waiting=0) is None


def test_a_loan_renewed_as_often_as_allowed_is_not_renewed_again():
    assert "at most 2" in domain.renewal_refusal(renewals=2, max_renewals=2, people_waiting=0)


def test_a_loan_is_not_renewed_while_someone_waits_for_that_kind_of_device():
    assert "waiting" in domain.renewal_refusal(renewals=0, max_renewals=2, people_waiting=1)


def test_missing_accessories_are_what_went_out_and_did_not_come_back_counting_duplicates():
    lent = ["chargeur", "câble", "câble", "housse"]

    assert domain.missing_accessories(lent, ["câble", "housse", "stylet"]) == ["chargeur", "câble"]
    assert domain.missing_accessories(lent, lent) == []


def test_days_overdue_count_whole_days_past_due():
    due = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)

    assert domain.days_overdue(due, due + timedelta(hours=3)) == 0
    assert domain.days_overdue(due, due + timedelta(days=3, hours=1)) == 3


RESIDENT = {
    "display_name": "Amina B.",
    "phone": "06 12 34 56 78",
    "consent": True,
    "registered_by_partner_id": 2,
}


def test_a_resident_speaks_french_unless_told_otherwise_and_is_texted_when_they_gave_a_phone():
    data = load(schemas.ResidentIn(), RESIDENT)

    assert (data["language"], data["channel"], data["email"]) == ("fr", "sms", None)


@pytest.mark.parametrize("language", ["fr", "en", "ar", "tr", "ru", "fa", "ps"])
def test_the_neighbourhoods_languages_are_accepted(language):
    assert load(schemas.ResidentIn(), {**RESIDENT, "language": language})["language"] == language


def test_a_resident_with_only_an_email_is_written_to():
    data = load(schemas.ResidentIn(), {**RESIDENT, "phone": None, "email": "amina@example.org"})

    assert data["channel"] == "email"


def test_no_resident_is_registered_without_their_consent():
    for consent in (False, None):
        with pytest.raises(InvalidInput) as refused:
            load(schemas.ResidentIn(), {**RESIDENT, "consent": consent})
        assert "consent" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        load(schemas.ResidentIn(), {key: v for key, v in RESIDENT.items() if key != "consent"})
    assert "consent" in refused.value.fields


def test_text_messages_need_a_phone_and_emails_an_email():
    with pytest.raises(InvalidInput) as refused:
        load(
            schemas.ResidentIn(),
            {**RESIDENT, "phone": None, "email": "a@example.org", "channel": "sms"},
        )
    assert set(refused.value.fields) == {"phone"}
    with pytest.raises(InvalidInput) as refused:
        load(schemas.ResidentIn(), {**RESIDENT, "channel": "email"})
    assert set(refused.value.fields) == {"email"}


def test_a_resident_who_prefers_a_call_still_leaves_a_way_to_reach_them():
    assert load(schemas.ResidentIn(), {**RESIDENT, "channel": "none"})["channel"] == "none"
    with pytest.raises(InvalidInput) as refused:
        load(schemas.ResidentIn(), {**RESIDENT, "phone": None, "channel": "none"})
    assert set(refused.value.fields) == {"phone", "email"}


def test_bad_resident_input_names_every_field_at_fault():
    with pytest.raises(InvalidInput) as refused:
        load(
            schemas.ResidentIn(),
            {
                **RESIDENT,
                "phone": "call me",
                "language": "xx",
                "consent": False,
                "birth_date": "1990-01-01",
            },
        )
    assert set(refused.value.fields) == {"phone", "language", "consent", "birth_date"}
