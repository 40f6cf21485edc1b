"""The live chart in a real browser: mounted once, updated in place, plotly.js served by the app."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

from browser_helpers import open_app, save_screenshot

from engine import Config
from ui.link import to_params
from ui.live_chart import plotly_js_source

LOSS = ".st-key-train-loss_chart .live-chart"
LONG_RUN = "/?" + urllib.parse.urlencode(to_params(Config().replace(steps=1_000_000)))  # cannot end mid-test


def draws(page) -> int:
    return int(page.evaluate(f"() => document.querySelector({LOSS!r})?.dataset.draws ?? '0'"))


def x_range(page) -> list[float]:
    return page.evaluate(f"() => document.querySelector({LOSS!r})._fullLayout.xaxis.range.slice()")


def test_plotly_js_is_served_by_the_app_not_a_cdn(app_url, page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_app(page, app_url)
    page.wait_for_function(f"() => document.querySelector({LOSS!r})?.dataset.draws > 0")
    assert page.evaluate("() => typeof window.Plotly?.react") == "function"
    assert [u for u in requests if "plotly" in u.lower()] == [f"{app_url}/app/static/plotly.min.js"]
    assert all(u.startswith((app_url, "data:", "blob:")) for u in requests), \
        [u for u in requests if not u.startswith((app_url, "data:", "blob:"))]
    with urllib.request.urlopen(f"{app_url}/app/static/plotly.min.js", timeout=30) as r:
        assert r.status == 200
        assert "javascript" in r.headers["Content-Type"]
        assert r.read() == plotly_js_source().read_bytes()


def test_the_chart_node_survives_ten_updates_and_keeps_the_zoom(app_url, page):
    open_app(page, app_url + LONG_RUN)
    page.wait_for_function(f"() => document.querySelector({LOSS!r})?.dataset.draws > 0")
    page.evaluate(f"() => {{ window.__marked = document.querySelector({LOSS!r}); }}")
    page.get_by_text("Pause when solved").click()  # train on past the solved step
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(f"() => document.querySelector({LOSS!r}).dataset.draws > 3")

    # Zoom as a user would: drag across the middle of the plot area.
    box = page.locator(f"{LOSS} .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    zoomed, start = x_range(page), draws(page)
    assert page.evaluate(f"() => document.querySelector({LOSS!r})._fullLayout.xaxis.autorange") is False

    page.wait_for_function(f"n => document.querySelector({LOSS!r}).dataset.draws >= n", arg=start + 10)
    same = page.evaluate(f"() => window.__marked === document.querySelector({LOSS!r})")
    assert same, "the chart node was replaced"
    assert page.evaluate("() => window.__marked.isConnected")
    assert x_range(page) == zoomed, "an update reset the user's zoom"
    lines = page.locator(f"{LOSS} path.js-line")
    assert lines.count() >= 1 and lines.first.get_attribute("d")
    save_screenshot(page, "live_chart_zoomed_while_training")
    page.get_by_role("button", name="Pause", exact=True).click()


def test_no_chart_is_mounted_anew_when_a_run_stops(app_url, page):
    """The whole page reruns when training stops by itself; the four charts stay the same nodes."""
    charts = ".live-chart"
    open_app(page, app_url + "/?" + urllib.parse.urlencode(to_params(Config().replace(steps=300))))
    page.wait_for_function(f"() => [...document.querySelectorAll({charts!r})].length === 4")
    page.evaluate(f"() => {{ window.__charts = [...document.querySelectorAll({charts!r})]; }}")
    page.get_by_role("button", name="Play", exact=True).click()
    page.locator(".st-key-status_bar").get_by_text(re.compile("solved|finished")).wait_for(timeout=60_000)
    page.wait_for_function(f"() => document.querySelector({LOSS!r}).dataset.draws > 1")
    now = f"document.querySelectorAll({charts!r})"
    same = page.evaluate(f"() => window.__charts.map((n, i) => n === {now}[i] && n.isConnected)")
    assert same == [True] * 4, same
    save_screenshot(page, "live_chart_after_run_stopped")


def test_the_chart_follows_its_column_width(app_url, page):
    open_app(page, app_url)
    width = f"() => document.querySelector('{LOSS} .main-svg')?.getBoundingClientRect().width ?? 0"
    page.wait_for_function(f"() => ({width})() > 0")
    wide = page.evaluate(width)
    page.set_viewport_size({"width": 1000, "height": 1000})
    page.wait_for_function(f"w => ({width})() < w - 50", arg=wide)
    column = page.locator(".st-key-train-loss_chart").bounding_box()["width"]
    assert abs(page.evaluate(width) - column) < 2, (page.evaluate(width), column)
