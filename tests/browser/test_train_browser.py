"""The Train page in a real browser: Play trains, and the status and the charts follow live."""

from __future__ import annotations

from browser_helpers import open_app, save_screenshot

METRICS = ".st-key-status_bar [data-testid='stMetricValue']"  # state, step, samples, loss, ...
LOSS_LINE = ".st-key-train-loss_chart path.js-line"
STEP_MOVED = f"() => (document.querySelectorAll({METRICS!r})[1]?.innerText ?? '0') !== '0'"


def loss_line(page) -> str | None:
    return page.evaluate(f"() => document.querySelector({LOSS_LINE!r})?.getAttribute('d') ?? null")


def test_play_trains_and_the_status_and_loss_chart_update(app_url, page):
    # A budget the faster engine does not use up between two redraws the test waits for.
    open_app(page, app_url.rstrip("/") + "/?steps=5000")
    play = page.get_by_role("button", name="Play", exact=True)
    play.wait_for(state="visible")
    step = page.locator(METRICS).nth(1)
    assert step.inner_text() == "0"
    before = loss_line(page)
    save_screenshot(page, "train_idle")

    # The default run is solved within a second or two and pauses there ("Pause when solved" is on
    # by default): the status says at which step, and the loss and accuracy charts mark it.
    play.click()
    page.wait_for_function(STEP_MOVED)
    page.locator(".st-key-status_bar").get_by_text("Solved at step").wait_for(timeout=60_000)
    shown = step.inner_text()
    assert shown != "0", shown
    assert page.locator(".st-key-status_bar").get_by_text(f"Solved at step {shown}").is_visible()
    for chart in ("loss", "accuracy"):
        page.locator(f".st-key-train-{chart}_chart").get_by_text(f"solved at step {shown}").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    save_screenshot(page, "train_solved")

    # Trained on, the loss chart keeps redrawing until the budget runs out.
    page.get_by_text("Pause when solved").click()
    changed = f"d => (document.querySelector({LOSS_LINE!r})?.getAttribute('d') ?? null) !== d"
    page.wait_for_function(changed, arg=before)
    now = loss_line(page)
    play.click()
    page.wait_for_function(changed, arg=now)
    page.wait_for_function(changed, arg=loss_line(page))  # and again: it keeps redrawing
    save_screenshot(page, "train_playing")
    page.wait_for_function(f"() => document.querySelectorAll({METRICS!r})[1]?.innerText === '5,000'",
                           timeout=60_000)
    page.wait_for_function(f"() => document.querySelectorAll({METRICS!r})[0]?.innerText.includes('solved')")
    assert page.get_by_text("Example sums (6 of 6 right)").is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    save_screenshot(page, "train_finished")
