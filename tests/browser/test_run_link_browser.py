"""Runs outlive the page: a refresh mid-training and a server restart both come back to the run."""

from __future__ import annotations

from urllib.parse import urlsplit

from browser_helpers import ARTIFACTS, open_app, running_app, save_screenshot

METRICS = ".st-key-status_bar [data-testid='stMetricValue']"  # state, step, samples, loss, ...


def metric(page, i: int) -> str:
    return page.locator(METRICS).nth(i).inner_text()


def shows(i: int, text: str) -> str:
    """A page function: metric ``i`` reads ``text`` (or, with ``~``, contains the rest)."""
    if text.startswith("~"):
        return f"() => document.querySelectorAll({METRICS!r})[{i}]?.innerText.includes({text[1:]!r})"
    return f"() => document.querySelectorAll({METRICS!r})[{i}]?.innerText === {text!r}"


def steps_above(n: int) -> str:
    return (f"() => parseInt((document.querySelectorAll({METRICS!r})[1]?.innerText ?? '0')"
            f".replaceAll(',', '')) > {n}")


def test_a_refresh_mid_training_finds_the_run_training_on(app_url, page):
    open_app(page, app_url.rstrip("/") + "/?steps=1000000")
    page.get_by_text("Pause when solved").click()
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(steps_above(200), timeout=60_000)
    query = urlsplit(page.url).query
    assert "run=" in query and "key=" in query
    before = int(metric(page, 1).replace(",", ""))
    page.reload()
    page.locator(METRICS).nth(1).wait_for()
    page.wait_for_function(steps_above(before), timeout=60_000)  # the same run, further on
    assert "training" in metric(page, 0)
    assert urlsplit(page.url).query == query
    save_screenshot(page, "train_after_refresh")
    page.get_by_role("button", name="Pause", exact=True).click()  # and the tab still controls it
    page.wait_for_function(shows(0, "~paused"))


def test_a_server_restart_finds_a_paused_run_at_its_step(page):
    with running_app(ARTIFACTS / "streamlit-restart-1.log") as url:
        open_app(page, url + "/?steps=1000000")
        page.get_by_text("Pause when solved").click()
        page.get_by_role("button", name="Step", exact=True).click()  # 100 steps at full speed
        page.wait_for_function(f"() => document.querySelectorAll({METRICS!r})[1]?.innerText === '100'",
                               timeout=60_000)
        page.wait_for_function(shows(0, "~paused"))
        query = urlsplit(page.url).query
    with running_app(ARTIFACTS / "streamlit-restart-2.log") as url:
        open_app(page, f"{url}/?{query}")
        page.wait_for_function(shows(1, "100"), timeout=60_000)
        assert "paused" in metric(page, 0)
        save_screenshot(page, "train_after_restart")
        page.get_by_role("button", name="Step", exact=True).click()  # it trains on from there
        page.wait_for_function(shows(1, "200"), timeout=60_000)
