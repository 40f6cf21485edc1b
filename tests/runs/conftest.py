"""Helpers for the run-service tests: poll with a deadline, never sleep a fixed time."""

import time

import pytest

from runs.service import RunService


def wait_for(predicate, timeout=60.0, what="the condition"):
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def make_service(tmp_path):
    """RunService factory on a temporary data folder; every service is closed afterwards."""
    made = []

    def make(**kw):
        service = RunService(tmp_path, **kw)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()
