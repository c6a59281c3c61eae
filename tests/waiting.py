"""Wait for a condition instead of sleeping for a guessed time."""

import time

import eventlet


def wait_until(condition, timeout=10.0, what="the condition"):
    """Poll `condition()` until it is truthy, yielding to other green threads meanwhile;
    return its value, or fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        eventlet.sleep(0.02)
