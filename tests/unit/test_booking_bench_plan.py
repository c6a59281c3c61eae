"""The booking throughput benchmark measures throughput, not refusals: what its
clients ask for is always open and always free, by construction."""

from datetime import date, datetime
from itertools import combinations

from bench import booking_throughput as bench
from services.booking import domain
from services.booking.settings import Settings

BUFFER = Settings().buffer  # the default the benchmark's service runs with
FIRST_DAY = date(2026, 12, 1)


def windows(count):
    return [
        domain.Window(datetime.fromisoformat(w["starts_at"]), datetime.fromisoformat(w["ends_at"]))
        for w in (bench.window(k, FIRST_DAY) for k in range(count))
    ]


def test_the_work_is_shared_evenly_among_the_clients():
    shares = bench.plan(bench.CLIENTS, 500)
    assert sum(shares) == 500
    assert max(shares) - min(shares) == 1


def test_every_window_is_inside_the_opening_hours_of_the_clients_sites():
    for window in windows(200):
        assert domain.opening_problems(window, bench.OPEN_EVERY_DAY, [], bench.ZONE) == {}


def test_a_client_never_needs_more_tablets_at_once_than_its_site_has():
    # A reservation takes one tablet; the ones a client holds at once, buffer
    # included, must never outnumber its site's tablets.
    held = windows(200)
    for window in held:
        clashing = [
            other
            for other in held
            if other.starts_at < window.blocked_until(BUFFER)
            and window.starts_at < other.blocked_until(BUFFER)
        ]
        assert len(clashing) <= bench.TABLETS_PER_SITE


def test_successive_windows_overlap_through_the_buffer_so_the_service_looks_past_the_first_tablet():
    first, second = windows(2)
    assert second.starts_at < first.blocked_until(BUFFER)


def test_warm_up_and_measured_reservations_are_told_apart_by_their_window():
    key = bench.phase_of(FIRST_DAY)
    phases = [
        key({"data": {"starts_at": w["starts_at"], "reservation_id": k}})[0]
        for k, w in enumerate(bench.window(k, FIRST_DAY) for k in range(10))
    ]
    assert phases == ["warm-up"] * bench.WARM_UP + ["bench"] * (10 - bench.WARM_UP)


def test_no_two_windows_of_a_client_are_the_same():
    assert all(a != b for a, b in combinations(windows(100), 2))
