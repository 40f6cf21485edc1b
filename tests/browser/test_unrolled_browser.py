"""The Unrolled page in a real browser, opened while training runs."""

import re

from browser_helpers import open_app, save_screenshot, wait_for_app_idle

from engine import Config, SequenceModel, checkpoint

TRAINED_STEP = re.compile(r"Model being trained \(step ([\d,]+)\)")


def shown_step(page) -> int:
    text = page.get_by_text(TRAINED_STEP).first.inner_text()
    return int(TRAINED_STEP.search(text).group(1).replace(",", ""))


def test_unrolled_page_follows_training_live_and_steps(app_url, page):
    # A long budget so training is still running when the page is opened.
    open_app(page, f"{app_url}/?steps=50000")
    page.get_by_text("Pause when solved").click()  # train on past the solved step
    page.get_by_role("button", name="Play").first.click()
    page.get_by_role("link", name="Unrolled").first.click()
    page.get_by_text("Where the carry lives").wait_for()
    page.locator(".st-key-unrolled-unrolled_chart .js-plotly-plot").first.wait_for(state="attached")
    page.locator(".st-key-unrolled-length_chart .js-plotly-plot").first.wait_for(state="attached")

    first = shown_step(page)
    page.wait_for_function(
        """([re, first]) => {
            const m = document.body.innerText.match(new RegExp(re));
            return m && parseInt(m[1].replace(/,/g, '')) > first;
        }""",
        arg=[TRAINED_STEP.pattern, first], timeout=30_000)
    assert shown_step(page) > first, "the page should redraw the model as it trains"

    page.locator(".st-key-unrolled-next button").first.click()
    page.get_by_text(re.compile(r"Step 1 of 7")).first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    save_screenshot(page, "unrolled_live")

    # The whole page in one picture: a tall window, everything drawn.
    page.set_viewport_size({"width": 1400, "height": 4200})
    page.locator(".st-key-unrolled-pca_chart .js-plotly-plot").first.wait_for(state="attached")
    page.wait_for_timeout(1500)  # let plotly lay the resized charts out
    # live views rerun while training; take the picture between two reruns (nothing faded)
    page.wait_for_function("document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=10_000,
                           polling=50)
    assert page.locator("[data-testid='stException']").count() == 0
    assert save_screenshot(page, "unrolled_live_full").stat().st_size > 0


def open_unrolled(page, url: str) -> None:
    """Open the app at its front page (so the router runs) and go to Unrolled."""
    open_app(page, url)
    page.get_by_role("link", name="Unrolled").first.click()
    page.get_by_text("Where the carry lives").wait_for()


def test_a_number_too_big_for_the_width_shows_a_message(app_url, page):
    open_unrolled(page, app_url)
    box = page.locator(".st-key-unrolled-a-w input")
    box.fill("300")
    box.press("Enter")
    wait_for_app_idle(page)
    page.get_by_text("a = 300 does not fit in 8 bits (at most 255)").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0


def test_uploading_a_model_file_in_the_browser(app_url, page, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a model")
    good = tmp_path / "small.npz"
    checkpoint.save(good, SequenceModel(Config(hidden=5, bits=6)))
    open_unrolled(page, app_url)
    upload = page.locator(".st-key-unrolled-upload input[type='file']")

    upload.set_input_files(str(good))
    page.get_by_text("Loaded small.npz").first.wait_for()
    page.get_by_text("Model loaded from small.npz").first.wait_for()

    upload.set_input_files(str(bad))
    page.get_by_text(re.compile("Could not load bad.npz: this is not a model file")).first.wait_for()
    page.get_by_text("Model loaded from small.npz").first.wait_for()  # the previous model stays
    assert page.locator("[data-testid='stException']").count() == 0
    save_screenshot(page, "unrolled_bad_upload")
