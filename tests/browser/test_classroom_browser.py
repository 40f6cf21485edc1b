"""Every page as a class sees it: at 1920x1080 in presentation mode and at 1280x800 on a laptop.

Screenshots go to ``artifacts/screenshots/classroom_<page>_<size>.png`` (look at them).
"""

from __future__ import annotations

import pytest
from browser_helpers import open_app, save_screenshot, wait_for_app_idle

PAGES = {"train": "", "unrolled": "unrolled", "gradients": "gradients", "xor": "xor"}
SIZES = {"1920x1080_present": ({"width": 1920, "height": 1080}, "?present=1"),
         "1280x800": ({"width": 1280, "height": 800}, "")}
CHARTS = ".js-plotly-plot"


def settle(page) -> None:
    wait_for_app_idle(page)
    page.wait_for_function("document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=15_000,
                           polling=50)
    page.mouse.move(5, 5)
    page.wait_for_timeout(600)  # let plotly lay the charts out


def smallest_chart_text(page) -> float:
    """The smallest font size (px) of any text drawn in a chart on screen."""
    return page.evaluate("""() => {
        const sizes = [...document.querySelectorAll('.js-plotly-plot text')]
            .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
            .map(t => parseFloat(getComputedStyle(t).fontSize));
        return sizes.length ? Math.min(...sizes) : 0; }""")


def cut_off(page) -> list[str]:
    """Texts of buttons and labels that do not fit their box, and whether the page scrolls sideways."""
    return page.evaluate("""() => {
        const out = [];
        if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1)
            out.push('the page scrolls sideways');
        for (const el of document.querySelectorAll('.stMain *')) {
            if (!(el instanceof HTMLElement) || el.children.length || !el.textContent.trim()) continue;
            let box = el;  // the text itself or a parent that cuts it with an ellipsis
            while (box && box !== document.body && getComputedStyle(box).textOverflow !== 'ellipsis')
                box = box.parentElement;
            const cut = box && box !== document.body ? box : el;
            if (cut.scrollWidth > cut.clientWidth && getComputedStyle(cut).overflowX !== 'auto'
                && getComputedStyle(cut).overflowX !== 'scroll') out.push(el.textContent.slice(0, 40)); }
        return out; }""")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_at_class_and_laptop_size(app_url, page, name, size):
    viewport, query = SIZES[size]
    page.set_viewport_size(viewport)
    open_app(page, f"{app_url}/{PAGES[name]}{query}", timeout_ms=120_000)  # a loaded test machine is slow
    page.locator(CHARTS).first.wait_for()
    settle(page)
    save_screenshot(page, f"classroom_{name}_{size}")
    assert page.locator("[data-testid='stException']").count() == 0
    assert cut_off(page) == []
    if query:
        assert smallest_chart_text(page) >= 18
    if name == "train" and not query:  # Play and the loss chart without scrolling
        play = page.get_by_role("button", name="Play").first.bounding_box()
        loss = page.locator(CHARTS).first.bounding_box()
        assert play["y"] + play["height"] <= viewport["height"]
        assert loss["y"] + loss["height"] / 2 <= viewport["height"], loss
