"""Real-browser test harness: a running app, a headless Chromium and a page.

Fixtures
--------
app_url : base URL of ``streamlit run streamlit_app.py``, started once per session on a
    free port of 127.0.0.1 (log in ``artifacts/streamlit.log``), stopped at the end.
browser : Playwright driving Debian's Chromium at ``/usr/bin/chromium`` (no browser is
    ever downloaded).
page : a fresh 1400x1000 page in its own context per test (not yet navigated).
pause_left_runs : (automatic) pauses the runs a test left training.

Helpers live in ``browser_helpers.py`` (``open_app``, ``wait_for_app_idle``,
``save_screenshot`` into ``artifacts/screenshots/NAME.png``); import them with
``from browser_helpers import ...``.

Every test in this directory is marked ``browser``. When Chromium or Playwright is
missing these tests are skipped locally but fail in CI (``CI=true``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from browser_helpers import (  # noqa: F401  (re-exported for tests)
    CHROMIUM,
    VIEWPORT,
    AppStartError,
    launch_chromium,
    open_app,
    running_app,
    save_screenshot,
    wait_for_app_idle,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    """Skip locally, but fail in CI, where the browser tests must run."""
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def app_url():
    """Start the app once for the session; yield its base URL."""
    if importlib.util.find_spec("streamlit") is None:
        _unavailable("streamlit is not installed (pip install -r requirements-dev.txt)")
    try:
        with running_app() as url:
            yield url
    except AppStartError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's, at /usr/bin/chromium) under Playwright."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh page with its own context (no shared cookies or storage)."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(autouse=True)
def pause_left_runs():
    """After each test, pause the runs its pages left training: the shared server's training slots
    are for the next test (a closed tab's run would only pause after two minutes on its own)."""
    yield
    from runs.store import Store, data_dir

    store = Store(data_dir())
    try:
        for run in store.list_runs(state="training"):
            store.send_command(run["id"], "pause")
    finally:
        store.close()
