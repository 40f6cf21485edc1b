"""The XOR and Gradients pages in a real browser: train XOR, run a gradient check, take pictures."""

import re

from browser_helpers import open_app, save_screenshot, wait_for_app_idle


def no_exception(page) -> bool:
    return page.locator("[data-testid='stException']").count() == 0


def open_page(page, app_url: str, title: str) -> None:
    """Open the app at its root, then go to a page through the menu, as a visitor does."""
    open_app(page, app_url)
    page.get_by_role("link", name=title).first.click()
    wait_for_app_idle(page)


def settle(page) -> None:
    wait_for_app_idle(page)
    page.wait_for_function("document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=10_000,
                           polling=50)
    page.mouse.move(5, 995)  # no tooltip over the picture
    page.wait_for_timeout(500)  # let plotly lay the charts out


def test_xor_page_trains_the_two_layer_reference_network(app_url, page):
    open_page(page, app_url, "XOR")
    page.locator(".st-key-xor-boundary_chart .js-plotly-plot").wait_for()
    page.locator(".st-key-xor-auto-w label").first.click()  # train on the button only
    wait_for_app_idle(page)
    page.locator(".st-key-xor-layers-w label").filter(has_text="2").first.click()
    wait_for_app_idle(page)
    page.get_by_text(re.compile("press Train to train these")).first.wait_for()
    page.locator(".st-key-xor-train button").first.click()
    page.get_by_text("2-64-64-1", exact=True).first.wait_for()
    page.locator(".st-key-xor-hidden_chart2 .js-plotly-plot").wait_for()
    settle(page)
    assert page.get_by_text("4 / 4", exact=True).count() == 1
    assert page.get_by_text("press Train to train these").count() == 0
    assert no_exception(page)
    save_screenshot(page, "xor_trained")
    page.set_viewport_size({"width": 1400, "height": 1900})
    settle(page)
    save_screenshot(page, "xor_trained_full")


def test_gradients_page_runs_a_check_and_shows_the_reference_layer(app_url, page):
    open_page(page, app_url, "Gradients")
    page.locator(".st-key-grad-delta_chart .js-plotly-plot").wait_for()
    page.locator(".st-key-grad-train_norm_chart .js-plotly-plot").wait_for()
    page.set_viewport_size({"width": 1400, "height": 1300})
    settle(page)
    assert no_exception(page)
    save_screenshot(page, "gradients_bptt")

    page.locator(".st-key-grad-source-w label").filter(has_text="only the last").click()
    page.get_by_text(re.compile("only the last bit's error")).first.wait_for()
    settle(page)
    assert no_exception(page)
    save_screenshot(page, "gradients_bptt_last_bit")

    page.get_by_role("tab", name="Gradient check of the model").click()
    hidden = page.locator(".st-key-grad-hidden-w input")
    hidden.fill("3")
    hidden.press("Enter")
    wait_for_app_idle(page)
    page.locator(".st-key-grad-cell-w").click()
    page.get_by_role("option", name="GRU").click()
    wait_for_app_idle(page)
    page.locator(".st-key-grad-run_check button").click()
    page.get_by_text(re.compile(r"Checked: GRU, 1 × 3 units")).wait_for()
    page.get_by_text(re.compile(r"All \d+ parameters pass")).wait_for()
    settle(page)
    assert no_exception(page)
    save_screenshot(page, "gradients_check")

    page.get_by_role("tab", name="The reference's two-step check").click()
    page.locator(".st-key-grad-ref_activation-w label").filter(has_text="relu").click()
    page.get_by_text(re.compile("Some weights disagree")).wait_for()
    settle(page)
    assert no_exception(page)
    save_screenshot(page, "gradients_reference")
