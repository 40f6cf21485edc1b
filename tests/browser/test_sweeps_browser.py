"""A tiny sweep in a real browser, its results, and its runs on the Runs page: pictures to look at."""

from __future__ import annotations

import re

import pytest
from browser_helpers import ARTIFACTS, open_app, running_app, save_screenshot, wait_for_app_idle


@pytest.fixture
def sweep_app(tmp_path, monkeypatch):
    """A server of its own on a fresh data folder (its sweep workers end with it)."""
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    monkeypatch.delenv("RNNLAB_DASK", raising=False)
    with running_app(ARTIFACTS / "streamlit-sweeps.log") as url:
        yield url


def no_exception(page) -> bool:
    return page.locator("[data-testid='stException']").count() == 0


def type_into(page, key: str, text: str) -> None:
    box = page.locator(f".st-key-{key} input").first
    box.fill(text)
    box.press("Enter")
    wait_for_app_idle(page)


def settle(page) -> None:
    wait_for_app_idle(page)
    page.mouse.move(5, 995)  # no tooltip over the picture
    page.wait_for_timeout(500)  # let plotly lay the charts out


def test_a_tiny_sweep_runs_and_shows_its_results_and_its_runs(sweep_app, page):
    open_app(page, f"{sweep_app}/sweeps")
    type_into(page, "sweeps-grid-hidden-w", "8,16")
    type_into(page, "sweeps-grid-lr-w", "0.05,0.2")
    type_into(page, "sweeps-grid-steps-w", "400")
    type_into(page, "sweeps-seeds-w", "1")
    page.get_by_text("2 hidden x 2 lr x 1 seed(s) = 4 runs").first.wait_for()
    page.set_viewport_size({"width": 1400, "height": 3400})  # the whole page in the picture
    settle(page)
    save_screenshot(page, "sweeps-define")
    page.locator(".st-key-sweeps-start button").click()
    page.get_by_text(re.compile(r"4 of 4 runs finished")).first.wait_for(timeout=180_000)
    page.locator(".st-key-sweeps-heat_success .js-plotly-plot").wait_for()
    page.locator(".st-key-sweeps-parallel .js-plotly-plot").wait_for()
    settle(page)
    assert no_exception(page)
    assert page.locator(".st-key-sweeps-heat_steps .js-plotly-plot").count() == 1
    save_screenshot(page, "sweeps-results", full_page=True)

    open_app(page, f"{sweep_app}/runs")
    page.get_by_text("4 of 4 runs shown").first.wait_for()
    page.locator(".st-key-runs-chosen-w input").click()
    for _ in range(2):  # the list stays open: the first two runs
        page.get_by_role("option").first.click()
        wait_for_app_idle(page)
    page.keyboard.press("Escape")
    page.locator(".st-key-runs-loss_chart .js-plotly-plot").wait_for()
    settle(page)
    save_screenshot(page, "runs-compare", full_page=True)
    assert no_exception(page)
    chosen = int(page.get_by_text(re.compile(r"^\d+ runs compared$")).first.inner_text().split()[0])
    assert chosen >= 2
    hrefs = {a.get_attribute("href") for a in page.locator("a[href*='run=']").all()}
    assert len(hrefs) == 3 * chosen and sum(h.startswith("unrolled?run=") for h in hrefs) == chosen, hrefs
    assert page.get_by_text(f"{chosen} runs compared").count() == 1
