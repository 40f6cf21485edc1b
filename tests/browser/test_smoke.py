"""The app starts and renders in a real browser."""

from browser_helpers import open_app, save_screenshot


def test_app_opens_and_shows_its_title(app_url, page):
    open_app(page, app_url)
    title = page.get_by_text("RNN Addition Lab").filter(visible=True).first
    title.wait_for(state="visible")
    assert title.is_visible()
    assert save_screenshot(page, "smoke").stat().st_size > 0
