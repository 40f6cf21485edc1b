"""A class on one server: eight visitors train at once; how soon can a ninth use the page?

Runs ``streamlit run streamlit_app.py`` on a free local port. Eight visitors open the Train page in
a Chromium started under ``nice -n 19`` (in a class their browsers run on the students' own
machines, not on the server), turn "Pause when solved" off and press Play, each with a budget no
one reaches. Once all eight train, a ninth visitor, in a Chromium at normal priority, opens the
page. Measured, ``--rounds`` times (median and worst):

- usable: seconds from the ninth's navigation until its Play button is enabled, the app idle and
  the page's four live charts drawn (plotly.js loaded and run: until then the browser is busy for
  about a second and a click waits). Target: within 3 s. Also reported: ``play_enabled_s``, the
  time to the first two alone.
- Step: seconds from the ninth's Step click, on the usable page, until its status bar shows a step
  above 0. Target: within 0.5 s.
- isolation: every visitor's link names its own run, and the ninth's page starts at step 0.

``--heavy`` also opens ``/?cell=lstm&hidden=256&layers=4&bits=16`` (a link inside the app's limits)
in a fresh tab and times it until the page is usable. Target: within 15 s.

Usage: ``python benchmarks/bench_class.py [--rounds 5] [--visitors 8] [--heavy] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, open_app, press, running_app  # noqa: E402

METRICS = ".st-key-status_bar [data-testid='stMetricValue']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
USABLE = rf"""() => {{
  const play = [...document.querySelectorAll('button')].find(b => /(^|\s)Play$/.test(b.innerText.trim()));
  return !!play && !play.disabled && !!document.querySelector({IDLE!r})
    && document.querySelectorAll({METRICS!r}).length >= 2;
}}"""
STEPPED = f"""() => {{
  const v = document.querySelectorAll({METRICS!r});
  return v.length > 1 && parseInt(v[1].innerText.replace(/,/g, '')) > 0;
}}"""
UNCHECKED = """() => [...document.querySelectorAll('[data-testid="stCheckbox"]')]
  .some(c => c.innerText.includes('Pause when solved') && !c.querySelector('input').checked)"""
TRAINING = f"() => document.querySelector({METRICS!r})?.innerText.includes('training')"
CHARTS = 4  # live charts on the Train page: loss, accuracy, gradient norm, hidden units
DRAWN = f"""() => {{
  const charts = [...document.querySelectorAll('.live-chart')];
  return charts.length >= {CHARTS} && charts.every(c => c.querySelector('.main-svg'));
}}"""


def niced_chromium(folder: str) -> str:
    """A launcher that starts Debian's Chromium under ``nice -n 19``, in a way that holds.

    ``nice`` alone does not: Playwright starts the browser in a session of its own, and with the
    kernel's autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) each session gets an
    equal share of the CPU whatever its processes' nice values; Chromium running as root also puts
    its renderers back to nice 0. So the launcher first sets its session's autogroup nice to 19
    (``/proc/self/autogroup``; raising it needs no privilege), where the kernel has one.
    """
    path = Path(folder) / "chromium-nice"
    path.write_text("#!/bin/sh\n"
                    "[ -w /proc/self/autogroup ] && echo 19 > /proc/self/autogroup\n"
                    f'exec nice -n 19 {CHROMIUM} "$@"\n')
    path.chmod(0o755)
    return str(path)


def run_of(page) -> str | None:
    return parse_qs(urlsplit(page.url).query).get("run", [None])[0]


def ninth_visit(browser, url: str) -> dict:
    """One ninth visitor: time to a usable page, then to the Step click's effect."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    try:
        page.wait_for_function(USABLE, polling="raf", timeout=120_000)
    except Exception:
        page.screenshot(path=str(ROOT / "artifacts" / "bench_class_ninth.png"))
        raise
    play_enabled = time.perf_counter() - t0
    page.wait_for_function(DRAWN, polling="raf", timeout=120_000)
    usable = time.perf_counter() - t0
    first_step = page.locator(METRICS).nth(1).inner_text()
    step = page.get_by_role("button", name="Step", exact=True)
    t0 = press(page, step)
    page.wait_for_function(STEPPED, polling="raf", timeout=60_000)
    stepped = time.perf_counter() - t0
    page.wait_for_function("() => new URLSearchParams(location.search).has('run')", timeout=30_000)
    run = run_of(page)
    context.close()
    return {"usable_s": usable, "play_enabled_s": play_enabled, "step_s": stepped, "started_at": first_step,
            "run": run}


def heavy_visit(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(f"{url}/?cell=lstm&hidden=256&layers=4&bits=16")
    page.wait_for_function(USABLE, polling="raf", timeout=300_000)
    page.wait_for_function(DRAWN, polling="raf", timeout=300_000)
    seconds = time.perf_counter() - t0
    context.close()
    return seconds


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="ninth visitors, one after another")
    ap.add_argument("--visitors", type=int, default=8, help="visitors training while the ninth comes")
    ap.add_argument("--heavy", action="store_true", help="also time the heavy link")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        os.environ["RNNLAB_DATA"] = str(Path(folder) / "runs")  # the server's run store, thrown away after
        log = ROOT / "artifacts" / "bench_class_streamlit.log"
        with running_app(log_path=log) as url, sync_playwright() as p:
            nice = niced_chromium(folder)
            crowd = p.chromium.launch(executable_path=nice, args=CHROMIUM_ARGS, headless=True)
            pages = []
            for _ in range(args.visitors):
                page = crowd.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(120_000)
                open_app(page, f"{url}/?steps=10000000", timeout_ms=120_000)
                page.get_by_text("Pause when solved").click()
                page.get_by_role("checkbox", name="Pause when solved").wait_for(state="attached")
                page.wait_for_function(UNCHECKED, timeout=120_000)
                page.wait_for_selector(IDLE, state="attached", timeout=120_000)
                page.get_by_role("button", name="Play", exact=True).click()
                pages.append(page)
                print(f"visitor {len(pages)} pressed Play (load {os.getloadavg()[0]:.1f})", file=sys.stderr)
            for i, page in enumerate(pages):
                try:
                    page.wait_for_function(TRAINING, timeout=120_000)
                except Exception:
                    states = [p.locator(METRICS).first.inner_text() for p in pages]
                    page.screenshot(path=str(ROOT / "artifacts" / "bench_class_stuck.png"))
                    raise RuntimeError(f"visitor {i + 1} does not show training; states: {states}") from None
            crowd_runs = [run_of(page) for page in pages]
            ninth = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            visits = [ninth_visit(ninth, url) for _ in range(args.rounds)]
            heavy = heavy_visit(ninth, url) if args.heavy else None
            still = sum(bool(page.evaluate(TRAINING)) for page in pages)
            load = os.getloadavg()[0]
            crowd.close()
            ninth.close()

    runs = crowd_runs + [v["run"] for v in visits]
    res = {
        "visitors": args.visitors,
        "usable_s": {"median": statistics.median(v["usable_s"] for v in visits),
                     "max": max(v["usable_s"] for v in visits)},
        "play_enabled_s": {"median": statistics.median(v["play_enabled_s"] for v in visits),
                           "max": max(v["play_enabled_s"] for v in visits)},
        "step_s": {"median": statistics.median(v["step_s"] for v in visits),
                   "max": max(v["step_s"] for v in visits)},
        "ninth_started_at_step_0": all(v["started_at"] == "0" for v in visits),
        "every_run_its_own": None not in runs and len(set(runs)) == len(runs),
        "visitors_still_training": still,
        "load_average_1min": round(load, 1),
        "heavy_link_usable_s": heavy,
    }
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        for k, v in res.items():
            print(f"{k}: {v}")
    ok = (res["usable_s"]["median"] <= 3 and res["step_s"]["median"] <= 0.5 and res["every_run_its_own"]
          and res["ninth_started_at_step_0"] and (heavy is None or heavy <= 15))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
