"""Shared set-up for the AppTest tests of the pages.

AppTest starts every run as the first run of a fresh server: Streamlit takes
the ``*.py`` files directly in ``pages/`` for an old-style app's pages, and
the router's ``st.navigation`` takes over from there (see ``ui/routing.py``).
So each test goes the way a first visit goes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT = 30  # seconds per run; generous for a loaded 2-core machine
APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"


@pytest.fixture
def app():
    """A fresh, not yet run AppTest of the whole app (router included)."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


@pytest.fixture
def open_page(app, request):
    """A function opening the app (with optional link parameters) at the test module's ``PAGE``."""
    def open_(params: dict | None = None) -> AppTest:
        app.query_params.update(params or {})
        app.run()
        app.switch_page(request.module.PAGE).run()
        assert not app.exception, [e.value for e in app.exception]
        return app
    return open_


@pytest.fixture
def page(open_page):
    """The app opened at the page named by the test module's ``PAGE``."""
    return open_page()


@pytest.fixture(autouse=True)
def run_store(tmp_path, monkeypatch):
    """Each test's runs go to its own store; its workers are stopped afterwards."""
    from runs.service import RunService

    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path / "runs"))
    monkeypatch.setattr(RunService, "keep_spare", False)  # a spare worker per test only costs time here
    yield tmp_path / "runs"
    for service in list(RunService._instances.values()):
        service.close()
    RunService._instances.clear()
