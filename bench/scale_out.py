"""scale_out: what a second booking process buys, and what the booking costs in cores.

booking_throughput's measurement (32 clients reserving through RPC, events relayed
and consumed) run twice in the same run on fresh databases: with one booking
process, then with two sharing the database and the RPC queue (competing
consumers, as two replicas on two machines). Printed: both rates, their ratio and
that ratio per process (1.0: each process adds as much as the first; on a machine
with fewer free cores than processes it cannot), and the CPU milliseconds per
reservation of the booking (its processes together) and of the broker.

From those, a capacity estimate (README, "Capacity"): the CPU one desk's day needs,
whatever machine runs it, assuming every desk action costs what a reservation does
(a check-out or a return writes as much and announces one event too):

    cores per 100 desks = 100 × ACTIONS_PER_DESK_DAY × (booking + broker CPU per
                          reservation) × PEAK_FACTOR / (OPEN_HOURS × 3600)
    events a day per core = OPEN_HOURS × 3600 / (booking + broker CPU per
                          reservation) / PEAK_FACTOR

with the CPU per reservation of the two-process run (what a deployment runs).
"""

from bench import booking_throughput, support

# A busy desk: one action (reservation, check-out, return) every two minutes of an
# eight-hour day; the busiest hour carries PEAK_FACTOR times the day's average.
ACTIONS_PER_DESK_DAY = 240
OPEN_HOURS = 8
PEAK_FACTOR = 3


def run(bench: support.Run, database: str) -> list[support.Result]:
    one = booking_throughput.measure(bench, database, 1)
    two = booking_throughput.measure(bench, database, 2)
    rates = {n: bench.items / measured.seconds for n, measured in ((1, one), (2, two))}
    support.note(f"scale_out ({database}), one booking process: {one.cpu}")
    support.note(f"scale_out ({database}), two booking processes: {two.cpu}")
    results = [
        support.Result(f"scale_out_1_process_{database}", rates[1], "reservations/s"),
        support.Result(f"scale_out_2_processes_{database}", rates[2], "reservations/s"),
        support.Result(f"scale_out_speedup_{database}", rates[2] / rates[1], "ratio", 2),
        support.Result(f"scale_out_per_process_{database}", rates[2] / 2 / rates[1], "ratio", 2),
    ]
    for n, measured in ((1, one), (2, two)):
        for part in ("booking", "broker"):
            seconds = measured.cpu_per_op[part]
            if seconds is not None:
                results.append(
                    support.Result(
                        f"scale_out_cpu_{part}_{n}_{database}", seconds * 1000, "ms/reservation", 2
                    )
                )
    booking, broker = two.cpu_per_op["booking"], two.cpu_per_op["broker"]
    if booking is not None:
        per_action = booking + (broker or 0.0)
        day = OPEN_HOURS * 3600
        results.append(
            support.Result(
                f"scale_out_cores_per_100_desks_{database}",
                100 * ACTIONS_PER_DESK_DAY * per_action * PEAK_FACTOR / day,
                "cores",
                3,
            )
        )
        results.append(
            support.Result(
                f"scale_out_events_a_day_per_core_{database}",
                day / per_action / PEAK_FACTOR,
                "events/day",
                0,
            )
        )
        if broker is None:
            support.note("scale_out: the broker's CPU is unknown (not on this machine)")
    return results
