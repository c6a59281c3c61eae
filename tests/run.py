"""`make test`: the test layers side by side, each in a pytest process of its own.

    python -m tests.run            # every part; extra arguments go to each pytest

Most of a test's time here is spent waiting on the broker, a database or a process
starting, so two cores serve several pytest processes at once and the suite ends in
about half the time of one process. Each part writes to a file of its own, printed
whole when the part ends, so the output reads as separate runs; the exit status is
the first failing part's. The browser part runs without eventlet's patching
(tests/conftest.py says why).

Every test module belongs to exactly one part: the integration layer is split in two
by name (SECOND_HALF), everything else goes by its folder.
"""

import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = "tests/integration"
# About half of the integration layer's time (measured with --durations).
SECOND_HALF = [
    f"{INTEGRATION}/{name}.py"
    for name in (
        "test_gateway_api_booking",
        "test_gateway_core",
        "test_channels",
        "test_front_desk",
        "test_gateway_pages",
        "test_audit_service",
        "test_gateway_sign_in_limits",
        "test_waiting_list_privacy",
        "test_resident_relationships",
        "test_reservations",
    )
]

PARTS = {
    "unit and end-to-end": (["tests", f"--ignore={INTEGRATION}"], {}),
    "integration, first half": (
        [INTEGRATION, *(f"--ignore={path}" for path in SECOND_HALF)],
        {},
    ),
    "integration, second half": (SECOND_HALF, {}),
    "browser": (["tests/browser"], {"PARTANUM_BROWSER_TESTS": "1"}),
}


def main(extra: list[str]) -> int:
    running = {}
    with tempfile.TemporaryDirectory(prefix="partanum-tests-") as logs, ExitStack() as files:
        for name, (paths, env) in PARTS.items():
            log = files.enter_context(open(Path(logs) / f"{len(running)}.log", "w+b"))
            process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *paths, *extra],
                cwd=ROOT,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            running[name] = (process, log, time.monotonic())
        status = 0
        while running:
            pid, wait_status = os.wait()  # whichever part ends first
            name = next(name for name, (process, _, _) in running.items() if process.pid == pid)
            _, log, started = running.pop(name)
            code = os.waitstatus_to_exitcode(wait_status)
            log.seek(0)
            print(
                f"\n===== {name}: exit {code}, {time.monotonic() - started:.0f} s =====",
                flush=True,
            )
            sys.stdout.buffer.write(log.read())
            sys.stdout.flush()
            status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
