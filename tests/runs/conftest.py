"""Helpers for the run-service tests: poll with a deadline, never sleep a fixed time."""

import pytest

from runs.service import RunService


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
