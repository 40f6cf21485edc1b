"""Waiting for a page's run: rerun the page until the worker's progress shows, with a deadline.

The pages never train: a worker process does, and each ``at.run()`` polls the run store once (as a
live view's timer would in the browser). So a test reruns the page until what it waits for shows,
failing after a deadline; it never sleeps a fixed time.
"""

from __future__ import annotations

import time

TIMEOUT = 60.0


def lab(at):
    return at.session_state["lab"]


def wait_until(at, predicate, timeout: float = TIMEOUT, what: str = "the run"):
    """Rerun ``at`` until ``predicate(lab)`` holds; return the lab. Fails on an exception or the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if predicate(lab(at)):
            return lab(at)
        if time.monotonic() > deadline:
            tr = lab(at).trainer
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} "
                                 f"(step {tr.step}, state {getattr(tr, 'state', None)})")


def settled(at, timeout: float = TIMEOUT):
    """Wait until the run has stopped training (paused, solved, finished, ...) and the page shows it."""
    return wait_until(at, lambda lab: lab.view is not None and not lab.running, timeout, "the run to stop")


def wait_state(at, *states: str, timeout: float = TIMEOUT):
    """Wait until the run's stored state is one of ``states``."""
    return wait_until(at, lambda lab: lab.view is not None and lab.view.state in states, timeout,
                      f"state {' or '.join(states)}")
