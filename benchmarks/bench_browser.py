"""Live training in a real browser: does the page keep the engine busy, and do the charts keep up?

Runs ``streamlit run streamlit_app.py`` on a free local port, opens the Train page in headless
Chromium (Debian's, at /usr/bin/chromium), presses Play with the default configuration and
watches for ``--seconds`` (10 by default). The step budget is raised through the link so the run
does not end inside the window; every other setting is the default.

Measured:

(a) training throughput in the page (steps/s, from the step count the status bar shows) against
    the headless engine's (``Trainer.advance_for`` on the same configuration, in this process,
    before the app starts). Target: at least 0.5x.
(b) loss-chart refreshes per second: a poller in the page counts how often the drawn loss line
    changes. Target: at least 4 per second.

Usage: ``python benchmarks/bench_browser.py [--seconds 10] [--engine-seconds 3] [--json]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from browser_helpers import launch_chromium, open_app, running_app  # noqa: E402

from engine import Config, Trainer  # noqa: E402
from ui.link import to_params  # noqa: E402

CONFIG = Config().replace(steps=1_000_000)

# Counts changes of the loss chart's first line every 10 ms (a redraw replaces its path).
POLLER = """
() => {
  window.__lossRedraws = [];
  let last = null;
  setInterval(() => {
    const el = document.querySelector('.st-key-train-loss_chart path.js-line');
    const d = el ? el.getAttribute('d') : null;
    if (d !== null && d !== last) { window.__lossRedraws.push(performance.now()); last = d; }
  }, 10);
}
"""


def engine_rate(seconds: float) -> float:
    """Steps per second of the headless trainer on the benchmark configuration."""
    tr = Trainer(CONFIG)
    tr.advance(20)  # warm up (first evaluation, allocations)
    t0, s0 = time.perf_counter(), tr.step
    while time.perf_counter() - t0 < seconds:
        tr.advance_for(0.1)
    return (tr.step - s0) / (time.perf_counter() - t0)


def shown_step(page) -> int:
    text = page.locator(".st-key-status_bar [data-testid='stMetricValue']").nth(1).inner_text()
    return int(re.sub(r"[^0-9]", "", text.split("/")[0]))


def browser_run(seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    query = urllib.parse.urlencode(to_params(CONFIG))
    with running_app(log_path=ROOT / "artifacts" / "bench_browser_streamlit.log") as url, \
            sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        open_app(page, f"{url}/?{query}")
        play = page.get_by_role("button", name="Play", exact=True)
        play.wait_for(state="visible")
        page.evaluate(POLLER)
        play.click()
        page.locator(".st-key-status_bar").get_by_text("training").wait_for()
        t0, s0 = time.perf_counter(), shown_step(page)
        r0 = page.evaluate("performance.now()")
        time.sleep(seconds)
        t1, s1 = time.perf_counter(), shown_step(page)
        r1 = page.evaluate("performance.now()")
        redraws = page.evaluate("window.__lossRedraws")
        status_rate = page.locator(".st-key-status_bar [data-testid='stMetricValue']").nth(5).inner_text()
        page.get_by_role("button", name="Pause", exact=True).click()
        browser.close()
    in_window = [t for t in redraws if r0 <= t <= r1]
    return {
        "page_steps_per_s": (s1 - s0) / (t1 - t0),
        "status_bar_steps_per_s": status_rate,
        "loss_redraws_per_s": len(in_window) / ((r1 - r0) / 1000),
        "steps_in_window": s1 - s0,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to watch the page train")
    ap.add_argument("--engine-seconds", type=float, default=3.0, help="how long to time the headless engine")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    eng = engine_rate(args.engine_seconds)
    res = browser_run(args.seconds)
    res["engine_steps_per_s"] = eng
    res["throughput_ratio"] = res["page_steps_per_s"] / eng
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"config: default, steps budget raised to {CONFIG.steps:,}; watched {args.seconds:g} s of Play")
        print(f"headless engine        {eng:8.0f} steps/s")
        print(f"in the browser page    {res['page_steps_per_s']:8.0f} steps/s  "
              f"(status bar said {res['status_bar_steps_per_s']})")
        print(f"throughput ratio       {res['throughput_ratio']:8.2f}x   (target >= 0.5x)")
        print(f"loss chart redraws     {res['loss_redraws_per_s']:8.1f} /s     (target >= 4/s)")
    ok = res["throughput_ratio"] >= 0.5 and res["loss_redraws_per_s"] >= 4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
