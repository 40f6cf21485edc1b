"""Helpers for driving the app in a real browser (used by tests/browser/conftest.py).

Import them in a browser test with ``from browser_helpers import open_app, save_screenshot``
(pytest puts this directory on ``sys.path``). Nothing here imports Playwright at
module level, so collection works on machines without it.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1000}
STARTUP_TIMEOUT_S = 60
IDLE_TIMEOUT_MS = 30_000
IDLE_SELECTOR = "[data-testid='stApp'][data-test-script-state='notRunning']"


class AppStartError(RuntimeError):
    """The app did not come up; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _health(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode(errors="replace").strip()
    except OSError:
        return ""


@contextlib.contextmanager
def running_app(log_path: Path = ARTIFACTS / "streamlit.log",
                timeout_s: float = STARTUP_TIMEOUT_S, root: Path = ROOT) -> Iterator[str]:
    """Run ``streamlit run streamlit_app.py`` (of this checkout, or of ``root``) on a free local port;
    yield its base URL.

    Waits until ``/_stcore/health`` answers ``ok`` (raising :class:`AppStartError`
    with the log tail after ``timeout_s``) and stops the server on exit.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while _health(f"{base}/_stcore/health") != "ok":
            if proc.poll() is not None:
                raise AppStartError(f"streamlit exited with code {proc.returncode} before answering; "
                                    f"log ({log_path}):\n{log_tail(log_path)}")
            if time.monotonic() > deadline:
                raise AppStartError(f"streamlit did not answer {base}/_stcore/health within {timeout_s:g} s; "
                                    f"log ({log_path}):\n{log_tail(log_path)}")
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def launch_chromium(playwright, **kwargs):
    """Launch Debian's Chromium through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **kwargs)


def wait_for_app_idle(page, timeout_ms: int = IDLE_TIMEOUT_MS) -> None:
    """Wait until the Streamlit script is not running (the page has settled)."""
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=timeout_ms)


def open_app(page, url: str, timeout_ms: int = IDLE_TIMEOUT_MS) -> None:
    """Navigate to ``url`` and wait until the app has rendered and gone idle."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    wait_for_app_idle(page, timeout_ms)


def save_screenshot(page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot to ``artifacts/screenshots/NAME.png`` and return the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def press(page, locator) -> float:
    """Click ``locator`` as a person would, at once: the mouse pressed and released at its centre.
    Returns the ``time.perf_counter()`` just before the press, to time the click's effect from.

    Playwright's ``locator.click()`` first checks that the element is visible, stable over two
    animation frames and able to receive the click; in a tab busy redrawing live charts that adds
    30-300 ms before the click happens, which a timing of the app's answer must leave out. Wait for
    the element yourself (it must not move meanwhile)."""
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    t0 = time.perf_counter()
    page.mouse.click(x, y)
    return t0
