"""Two processes of every service, as on two machines: they compete for each queue and
each runs every timer, yet what users rely on holds. One system for the module
(gateway_system.start with replicas=2: ten processes, two gateways on two ports) on
PostgreSQL, as a deployment over several machines is, then one on SQLite, as on one
machine. Timers tick every half second (PARTANUM_TIMER_SECONDS), so both replicas'
timers race for the same due items (tests/integration's test_reservations and
test_front_desk make two ticks overlap for certain)."""

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select, update

from partanum import topology
from partanum.db import make_engine
from services.booking.models import Loan, Reservation
from services.notifications.models import Message
from tests.e2e import gateway_system
from tests.e2e.gateway_system import local_window
from tests.e2e.test_deadlines import postgresql_databases
from tests.sms_gateway import SmsGateway
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
TIMER_SECONDS = 0.5


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def system(request, vhost_pipeline, rabbit_manager, tmp_path_factory):
    """On PostgreSQL, as on several machines; on SQLite, as on one (the processes
    share each service's file, whose writers take turns)."""
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with (
        vhost_pipeline.get() as vhost,
        (
            postgresql_databases(gateway_system.SERVICES)
            if request.param == "postgresql"
            else nullcontext()
        ) as urls,
        SmsGateway() as sms,
    ):
        running = gateway_system.start(
            f"{broker.scheme}://{broker.netloc}/{vhost}",
            tmp_path_factory.mktemp("replicas"),
            databases=urls,
            replicas=2,
            PARTANUM_TIMER_SECONDS=str(TIMER_SECONDS),
            PARTANUM_SMS_PROVIDER="http",
            PARTANUM_SMS_URL=sms.url,
            PARTANUM_SMS_API_KEY="replicas",
            PARTANUM_MAX_LOANS_PER_RESIDENT="20",
            PARTANUM_RPC_TIMEOUT="30",
        )
        try:
            running.world = gateway_system.register_network(running)
            gateway_system.add_people(running)
            running.consumers = lambda queue: rabbit_manager.get_queue(vhost, queue)["consumers"]
            running.sms = sms
            yield running
        finally:
            gateway_system.stop(running)


def together(*calls):
    """The answers of `calls`, made at the same time."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [answer.result() for answer in [pool.submit(call) for call in calls]]


def count(url, query) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(query).scalar()
    finally:
        engine.dispose()


def test_both_processes_of_every_service_serve(system):
    assert sorted(system.processes) == sorted(
        [*gateway_system.SERVICES, *(f"{name}-2" for name in gateway_system.SERVICES)]
    )
    system.check_alive()
    assert all(system.client(gateway).get("/api/me").status_code == 401 for gateway in (0, 1))
    # Both compete for every queue: each RPC queue and each subscription's (the
    # broker's management figures lag by a few seconds).
    queues = [f"rpc-{name}" for name in gateway_system.SERVICES]
    queues += [subscription.queue for subscription in topology.SUBSCRIPTIONS]
    wait_until(
        lambda: {queue: system.consumers(queue) for queue in queues} == dict.fromkeys(queues, 2),
        timeout=30,
        what="two consumers on every queue",
    )


def test_the_same_devices_asked_through_both_gateways_at_once_are_booked_once(system):
    laptops = system.world.categories["laptop"]
    staff = [system.sign_in("staff@mistral.test", gateway=gateway) for gateway in (0, 1)]
    for day in range(20, 26):
        # Every laptop of the Mistral, the same morning, asked for through each gateway.
        window = local_window(days_ahead=day, hour=9, hours=2)
        body = {"site": "mistral", "category_id": laptops, "quantity": 2, **window}
        answers = together(
            *(lambda s=s, body=body: s.post("/api/reservations", json=body) for s in staff)
        )

        assert sorted(answer.status_code for answer in answers) == [201, 409], [
            answer.text for answer in answers
        ]


def test_a_burst_of_sign_in_codes_sends_each_message_once(system):
    """Twelve residents ask for a code at once through both gateways, half of them
    told by email, half by SMS: each gets one message, whichever sender took it."""
    already = len(system.smtp.messages())
    people = [
        {
            "display_name": f"Burst {n}",
            "email": f"burst{n}@residents.test",
            "channel": "email" if n % 2 else "sms",
            "phone": f"06 12 34 56 {n:02d}",
            "language": "fr",
            "consent": True,
            "card_number": f"RS-B{n:03d}",
            "registered_by_partner_id": system.world.jean_vilar.id,
        }
        for n in range(12)
    ]
    with system.rpc() as rpc:
        for person in people:
            rpc.booking.register_resident(person)
    answers = together(
        *(
            lambda n=n, person=person: system.client(n % 2).post(
                "/api/residents/sign-in", json={"card_number": person["card_number"]}
            )
            for n, person in enumerate(people)
        )
    )
    assert [answer.status_code for answer in answers] == [202] * len(people)
    by_email = [p["email"] for p in people if p["channel"] == "email"]
    by_sms = [p for p in people if p["channel"] == "sms"]

    def emails():
        return [m for m in system.smtp.messages()[already:] if set(m.rcpt_tos) & set(by_email)]

    wait_until(
        lambda: len(emails()) >= len(by_email) and len(system.sms.requests) >= len(by_sms),
        timeout=60,
        what="every code sent",
    )
    # Both senders ran their loops meanwhile: one more message sent means they went round.
    system.resident_session(system.world.residents["jean-vilar"])
    messages = emails()
    assert sorted(address for m in messages for address in m.rcpt_tos) == sorted(by_email)
    ids = [m.message["Message-ID"] for m in messages]
    assert len(set(ids)) == len(ids) == len(by_email)
    texted = [number for request in system.sms.requests for number in request["json"]["to"]]
    assert len(texted) == len(set(texted)) == len(by_sms)


def test_the_audit_chain_holds_after_a_stream_of_events_from_both_processes(system):
    tablets = system.world.categories["tablet"]
    staff = [system.sign_in("staff@jean-vilar.test", gateway=gateway) for gateway in (0, 1)]
    windows = [local_window(days_ahead=30 + n, hour=14, hours=1) for n in range(10)]
    answers = together(
        *(
            lambda s=staff[n % 2], w=w: s.post(
                "/api/reservations",
                json={"site": "jean-vilar", "category_id": tablets, "quantity": 1, **w},
            )
            for n, w in enumerate(windows)
        )
    )
    assert [answer.status_code for answer in answers] == [201] * len(windows)
    ids = {answer.json()["id"] for answer in answers}

    with system.rpc() as rpc:

        def logged():
            entries = rpc.audit.query_log({"type": "booking.reservation_created", "limit": 500})
            return {e["data"]["reservation_id"] for e in entries["entries"]} >= ids

        wait_until(logged, timeout=60, what="every reservation in the audit log")
        verified = rpc.audit.verify_log()
    assert verified["ok"], verified["first_bad"]
    assert verified["count"] >= len(ids)


def test_wrong_passwords_through_both_gateways_count_against_one_limit(system):
    email = "replicas@jean-vilar.test"
    system.add_account(email, "staff", system.world.jean_vilar.id)
    clients = [system.client(n % 2) for n in range(12)]
    answers = together(
        *(
            lambda c=c: c.post("/api/sign-in", json={"email": email, "password": "a guess"})
            for c in clients
        )
    )
    statuses = sorted(answer.status_code for answer in answers)

    assert statuses == [401] * 5 + [429] * 7
    for gateway in (0, 1):
        refused = system.client(gateway).post(
            "/api/sign-in", json={"email": email, "password": gateway_system.PASSWORD}
        )
        assert refused.status_code == 429


def test_each_due_item_is_handled_once_though_both_processes_run_the_timers(system):
    """Overdue loans are announced once, reservations nobody picked up released once."""
    staff = system.sign_in("staff@jean-vilar.test")
    resident = system.world.residents["jean-vilar"]
    loans = [
        lend(staff, tag, resident, "jean-vilar") for tag in system.world.jean_vilar.tablets[-4:]
    ]
    tablets = system.world.categories["tablet"]
    reservations = [
        ok(
            staff.post(
                "/api/reservations",
                json={
                    "site": "jean-vilar",
                    "category_id": tablets,
                    "quantity": 1,
                    **local_window(days_ahead=60 + n, hour=10, hours=2),
                },
            ),
            201,
        )["id"]
        for n in range(4)
    ]
    booking, notifications = system.databases["booking"], system.databases["notifications"]

    # Three weeks pass for the loans, two hours for the reservations, all at once:
    # both processes' next ticks race for them.
    time_passes(booking, loans, reservations)
    wait_until(
        lambda: (
            set(logged(system, "booking.loan_overdue", "loan_id")) >= set(loans)
            and set(logged(system, "booking.reservation_released", "reservation_id"))
            >= set(reservations)
        ),
        timeout=60,
        what="every late loan and missed reservation handled",
    )
    # One more loan made late and handled: by then each process has ticked many
    # times (every half second) since the first ones were due.
    mistral = system.sign_in("staff@mistral.test")
    later = lend(mistral, system.world.mistral.laptops[0], system.world.residents["mistral"])
    time_passes(booking, [later], [])
    wait_until(
        lambda: later in logged(system, "booking.loan_overdue", "loan_id"),
        timeout=60,
        what="the later loan handled",
    )

    overdue = logged(system, "booking.loan_overdue", "loan_id")
    released = logged(system, "booking.reservation_released", "reservation_id")
    assert sorted(overdue) == sorted([*loans, later])
    assert sorted(released) == sorted(reservations)
    # And the residents are told once: the notices of one overdue event each.
    assert [announced(notifications, loan) for loan in loans] == [1] * len(loans)


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def lend(staff, tag, resident, site="mistral") -> int:
    answer = staff.post(
        "/api/loans", json={"asset_tag": tag, "resident_id": resident["id"], "site": site}
    )
    return ok(answer, 201)["id"]


def logged(system, event_type, key) -> list[int]:
    """`key` of every event of that type in the audit log, repeated if logged twice."""
    with system.rpc() as rpc:
        entries = rpc.audit.query_log({"type": event_type, "limit": 500})["entries"]
    return [entry["data"][key] for entry in entries]


def announced(url, loan_id) -> int:
    """How many overdue events the notifications planned that loan's notices for."""
    return count(
        url,
        select(func.count(func.distinct(Message.event_id))).where(
            Message.loan_id == loan_id, Message.purpose.in_(("overdue", "call_resident"))
        ),
    )


def time_passes(url, loan_ids, reservation_ids):
    """Loans due three weeks ago, reservations begun two hours ago, in the booking's
    own database (the only way to make them late without waiting)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            if loan_ids:
                connection.execute(
                    update(Loan)
                    .where(Loan.id.in_(loan_ids))
                    .values(due_at=now - timedelta(days=21))
                )
            if reservation_ids:
                connection.execute(
                    update(Reservation)
                    .where(Reservation.id.in_(reservation_ids))
                    .values(starts_at=now - timedelta(hours=2))
                )
    finally:
        engine.dispose()
