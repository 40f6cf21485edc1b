"""Live training in a real browser: does the page keep the engine busy, and do the charts keep up?

Runs ``streamlit run streamlit_app.py`` on a free local port, opens the Train page in headless
Chromium (Debian's, at /usr/bin/chromium), presses Play with the default configuration and
watches for ``--seconds`` (10 by default). The step budget is raised through the link so the run
does not end inside the window and "Pause when solved" is turned off; every other setting is the default.

Measured:

(a) training throughput in the page (steps/s, from the step count the status bar shows; the run
    trains in a worker process of the run service) against the headless engine's
    (``Trainer.advance_for`` on the same configuration, in this process, before the app starts).
    Target: at least 0.9x.
(b) loss-chart refreshes per second: a poller in the page counts how often the drawn loss line
    changes. Target: at least 4 per second.

``--clicks N [--speed NAME]`` measures instead, while training runs (the same configuration,
"Pause when solved" off, the speed NAME), the time from a click to its visible effect, N times
each (median and worst):

- Pause: the status bar reads "paused";
- Step (pressed while training): the status bar reads "paused" and shows a later step;
- the Unrolled page's next-step button: the page shows the next step ("Step t+1 of 7").
  Target: a median within 0.3 s for each.

``--first-content N`` times, N times on a warm server, a fresh visitor's navigation until the
first content (the picture of the task) is on the screen. Target: within 1.5 s.

``--with-sweep N`` runs a sweep of N runs of the default model with a 20,000-step budget
(``python -m runs sweep``, niced below the server as the Sweeps page's sweeps are) while it
measures (clicks, or the default throughput figures): the live view must keep its targets while
a sweep runs.

``--class-speed`` times the default configuration (its 1,000-step budget, "Pause when solved"
on) at the *class* speed until it is solved, both in the page (Speed set to class) and in a
worker process of the run service (the ``pace`` command), where it also records when each step
reached the store (polled every 10 ms): the gaps show whether steps come evenly. Target: solved
in 20-40 s.

Usage: ``python benchmarks/bench_browser.py [--seconds 10] [--engine-seconds 3] [--clicks N]
[--speed NAME] [--first-content N] [--with-sweep N] [--class-speed] [--json]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from browser_helpers import launch_chromium, open_app, press, running_app, wait_for_app_idle  # noqa: E402

from engine import Config, Trainer  # noqa: E402
from runs import RunService  # noqa: E402
from runs.worker import CLASS_PACE  # noqa: E402
from ui.link import to_params  # noqa: E402
from ui.live import SPEEDS  # noqa: E402

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


def worker_rate(seconds: float) -> float:
    """Steps per second of a run service's worker on the benchmark configuration, with no page open
    (the worker's own cost: commands, history rows, snapshots, checkpoints; niced as in the app)."""
    with tempfile.TemporaryDirectory() as folder:
        service = RunService(folder)
        try:
            run_id, _ = service.start(CONFIG)
            while service.store.read_run(run_id)["step"] < 100:
                time.sleep(0.01)
            t0, s0 = time.perf_counter(), service.store.read_run(run_id)["step"]
            time.sleep(seconds)
            t1, s1 = time.perf_counter(), service.store.read_run(run_id)["step"]
        finally:
            service.close()
    return (s1 - s0) / (t1 - t0)


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
        page.get_by_text("Pause when solved").click()  # train on past the solved step (~0.2 s in)
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


def _state(page) -> str:
    return page.locator(".st-key-status_bar [data-testid='stMetricValue']").first.inner_text()


def _timed_click(page, locator, done_js: str, arg=None) -> float:
    """Seconds from a person's click (:func:`browser_helpers.press`) to ``done_js`` (a JS predicate)
    holding, polled at every animation frame."""
    locator.wait_for(state="visible")
    t0 = press(page, locator)
    page.wait_for_function(done_js, arg=arg, polling="raf", timeout=30_000)
    return time.perf_counter() - t0


STATE_IS = """(word) => {
  const v = document.querySelector(".st-key-status_bar [data-testid='stMetricValue']");
  return v && v.innerText.includes(word);
}"""
STEP_AFTER = """(before) => {
  const v = document.querySelectorAll(".st-key-status_bar [data-testid='stMetricValue']");
  return v.length > 1 && v[0].innerText.includes('paused')
    && parseInt(v[1].innerText.replace(/,/g, '')) > before;
}"""
UNROLLED_STEP = "(t) => document.body.innerText.includes(`Step ${t} of 7`)"


def set_speed(page, name: str) -> None:
    """Move the Speed slider to ``name`` with the keyboard, as a user could."""
    slider = page.locator("[data-testid='stSlider']").filter(has_text="Speed").get_by_role("slider").first
    slider.focus()
    for _ in range(len(SPEEDS)):
        slider.press("ArrowLeft")  # the first speed
    for _ in range(list(SPEEDS).index(name)):
        slider.press("ArrowRight")
    wait_for_app_idle(page)


def click_run(rounds: int, speed: str = "full") -> dict:
    """Median and worst click-to-visible-effect times while training (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    query = urllib.parse.urlencode(to_params(CONFIG))
    out = {"pause": [], "step": [], "unrolled_next": []}
    log = ROOT / "artifacts" / "bench_clicks_streamlit.log"
    with running_app(log_path=log) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        open_app(page, f"{url}/?{query}")
        button = lambda name: page.get_by_role("button", name=name, exact=True)  # noqa: E731
        page.get_by_text("Pause when solved").click()  # keep training past the solved step
        set_speed(page, speed)
        for _ in range(rounds):
            for what in ("pause", "step"):
                button("Play").click()
                page.wait_for_function(STATE_IS, arg="training", polling="raf")
                page.wait_for_timeout(700)  # training for a while: charts redrawing
                if what == "pause":
                    out["pause"].append(_timed_click(page, button("Pause"), STATE_IS, "paused"))
                else:
                    out["step"].append(_timed_click(page, button("Step"), STEP_AFTER, shown_step(page)))
        button("Play").click()  # training goes on while the Unrolled page is open
        page.get_by_role("link", name="Unrolled").first.click()
        page.get_by_text("Where the carry lives").wait_for()
        nxt = page.locator(".st-key-unrolled-next button").first
        for i in range(rounds):
            t = i % 7 + 1
            if t == 1 and i:
                page.locator(".st-key-unrolled-first button").first.click()
                page.wait_for_function(UNROLLED_STEP, arg=0, polling="raf")
            page.wait_for_timeout(500)
            out["unrolled_next"].append(_timed_click(page, nxt, UNROLLED_STEP, t))
        training = "training" in _state(page)
        browser.close()
    res = {k: {"median_s": statistics.median(v), "max_s": max(v), "n": len(v)} for k, v in out.items()}
    res["still_training_on_unrolled"] = training
    return res


def class_speed_page() -> dict:
    """Seconds from Play to "solved" in the page at the class speed, default configuration."""
    from playwright.sync_api import sync_playwright

    log = ROOT / "artifacts" / "bench_class_streamlit.log"
    with running_app(log_path=log) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        open_app(page, url)
        set_speed(page, "class")
        t0 = time.perf_counter()
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_function(STATE_IS, arg="solved", polling=100, timeout=120_000)
        seconds = time.perf_counter() - t0
        solved = page.get_by_text(re.compile(r"Solved at step [\d,]+")).first.inner_text()
        browser.close()
    return {"seconds": seconds, "status": solved}


def class_speed_worker() -> dict:
    """Seconds from "resume" to "solved" in a worker at the class pace; gaps between steps arriving."""
    with tempfile.TemporaryDirectory() as folder:
        service = RunService(folder)
        try:
            run_id, key = service.start(Config(), pause_when_solved=True, paused=True)
            while service.store.read_run(run_id)["state"] != "paused":
                time.sleep(0.01)
            service.command(run_id, key, "pace", CLASS_PACE)
            t0 = time.perf_counter()
            service.command(run_id, key, "resume")
            arrivals, last = [], 0
            while (run := service.store.read_run(run_id))["state"] in ("queued", "training"):
                if run["step"] != last:
                    arrivals.append((time.perf_counter(), run["step"] - last))
                    last = run["step"]
                time.sleep(0.01)
            seconds = time.perf_counter() - t0
        finally:
            service.close()
    gaps = [b[0] - a[0] for a, b in zip(arrivals, arrivals[1:], strict=False)]
    return {"seconds": seconds, "state": run["state"], "solved_at": run["solved_at"],
            "max_steps_per_arrival": max(n for _, n in arrivals), "gap_median_s": statistics.median(gaps),
            "gap_p95_s": sorted(gaps)[int(0.95 * len(gaps))], "gap_max_s": max(gaps)}


TASK_PICTURE = "() => document.body.innerText.includes('carry in')"  # the task picture's first row


def first_content(rounds: int) -> dict:
    """Seconds from a fresh visitor's navigation to the picture of the task, on a warm server."""
    from playwright.sync_api import sync_playwright

    times = []
    with running_app(log_path=ROOT / "artifacts" / "bench_first_streamlit.log") as url, \
            sync_playwright() as p:
        browser = launch_chromium(p)
        warm = browser.new_context().new_page()
        open_app(warm, url)  # the server has run the script once
        for _ in range(rounds):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_function(TASK_PICTURE, polling="raf", timeout=60_000)
            times.append(time.perf_counter() - t0)
            context.close()
        browser.close()
    return {"median_s": statistics.median(times), "max_s": max(times), "n": len(times)}


@contextlib.contextmanager
def background_sweep(runs: int):
    """A sweep of ``runs`` default-model runs (seeds) in a niced process meanwhile; yields a function
    that reports how far it got (or None when ``runs`` is 0)."""
    if not runs:
        yield None
        return
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, RNNLAB_DATA=folder)
        cmd = ["nice", "-n", "10", sys.executable, "-m", "runs", "sweep", "--seeds", str(runs),
               "--steps", "20000", "--full-budget", "--json"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        try:
            yield lambda: "finished" if proc.poll() is not None else "still running when measured"
        finally:
            proc.terminate()
            proc.wait(30)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to watch the page train")
    ap.add_argument("--engine-seconds", type=float, default=3.0, help="how long to time the headless engine")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--clicks", type=int, default=0, help="measure click-to-effect times, N rounds each")
    ap.add_argument("--speed", default="full", choices=list(SPEEDS), help="the speed for --clicks")
    ap.add_argument("--first-content", type=int, default=0, help="time the first content N times")
    ap.add_argument("--with-sweep", type=int, default=0, help="run a sweep of N runs meanwhile")
    ap.add_argument("--class-speed", action="store_true", help="time the default run at the class speed")
    args = ap.parse_args(argv)
    with background_sweep(args.with_sweep) as sweep:
        code = measure(args)
        if sweep is not None:
            print(f"the sweep of {args.with_sweep} runs: {sweep()}")
    return code


def measure(args) -> int:
    if args.first_content:
        res = first_content(args.first_content)
        print(json.dumps(res, indent=2))
        return 0 if res["median_s"] <= 1.5 else 1
    if args.clicks or args.class_speed:
        res = {}
        if args.class_speed:
            res["class_worker"] = class_speed_worker()
            res["class_page"] = class_speed_page()
        if args.clicks:
            res["clicks"] = click_run(args.clicks, args.speed)
        print(json.dumps(res, indent=2))
        ok = all(v["median_s"] <= 0.3 for k, v in res.get("clicks", {}).items() if isinstance(v, dict))
        ok &= all(20 <= r["seconds"] <= 40 for k, r in res.items() if k.startswith("class"))
        return 0 if ok else 1

    eng = engine_rate(args.engine_seconds)
    alone = worker_rate(args.engine_seconds)
    res = browser_run(args.seconds)
    res["engine_steps_per_s"] = eng
    res["worker_alone_steps_per_s"] = alone
    res["throughput_ratio"] = res["page_steps_per_s"] / eng
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"config: default, steps budget raised to {CONFIG.steps:,}; watched {args.seconds:g} s of Play")
        print(f"headless engine        {eng:8.0f} steps/s")
        print(f"worker, no page open   {alone:8.0f} steps/s  ({alone / eng:.2f}x)")
        print(f"in the browser page    {res['page_steps_per_s']:8.0f} steps/s  "
              f"(status bar said {res['status_bar_steps_per_s']})")
        print(f"throughput ratio       {res['throughput_ratio']:8.2f}x   (target >= 0.9x)")
        print(f"loss chart redraws     {res['loss_redraws_per_s']:8.1f} /s     (target >= 4/s)")
    ok = res["throughput_ratio"] >= 0.9 and res["loss_redraws_per_s"] >= 4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
