"""Shared set-up for the AppTest tests of the pages.

AppTest resets ``PagesManager.uses_pages_directory`` before every run, and a
fresh manager sets it again from whether a ``pages/`` folder exists. This app
has one but routes with ``st.navigation``, so from the second run on AppTest
would run the page file alone, without ``streamlit_app.py`` around it (the
real server decides once, when ``st.navigation`` first runs). The autouse
fixture keeps AppTest on the ``st.navigation`` path, as the server is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

TIMEOUT = 30  # seconds per run; generous for a loaded 2-core machine
APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"


class _NavigationPages(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def _navigation_router(monkeypatch):
    monkeypatch.setattr(app_test_module, "PagesManager", _NavigationPages)


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
