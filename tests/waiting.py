"""Waiting for a state outside a browser: poll it until a deadline, never sleep a fixed time.

``wait_until`` is the one place in the tests that sleeps, and only between two looks at the
state it waits for (a port that answers, a worker that is ready, a row a task wrote). Browser
tests wait with Playwright's ``expect`` instead; websocket tests with the communicator's
``receive_*(timeout=...)``. Imports no Django: ``tests/asgi_process.py`` uses it before Django
is set up.
"""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, timeout: float, interval: float = 0.2) -> T:
    """Call ``condition`` until it returns something true, at most ``timeout`` seconds, and
    return its last result (false if the deadline passed: the caller asserts on it).
    ``condition`` raises to give up early (say, the process it waits for exited)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)
