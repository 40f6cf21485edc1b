"""Do the Train page's live charts ever go blank while training? Judged by painted pixels.

Runs ``streamlit run streamlit_app.py`` on a free local port, opens the Train page in headless
Chromium (Debian's, at /usr/bin/chromium), presses Play and screenshots the four live charts
(loss, accuracy, gradient norm, hidden state) at least every 200 ms for ``--seconds`` (10 by
default). "Pause when solved" is turned off (the default run is solved in a fraction of a
second). Two runs:

- ``default``: the default configuration as it is. Its 1,000-step budget runs out within the
  window, so the moment a run stops (the whole page reruns) is in it too.
- ``long``: the default configuration with the step budget raised through the link, so the
  charts update for the whole window.

A chart counts as blank in a screenshot when its box holds almost no coloured pixels: every
chart draws its data in colour (lines, the heatmap) and everything else (text, axes, grid) in
grey, so a chart whose data is not painted -- gone, or not yet drawn -- has none. The DOM is only
used to find where the charts are; it says a chart is there while the screen can be blank.

Screenshots go to ``artifacts/bench_live_charts/<app>/<run>/`` (every blank one and every 10th):
look at them. ``--compare DIR`` watches another checkout of the app too (e.g. an older commit,
exported with ``git archive``), alternating with this one. ``--with-sweep N`` trains a sweep of
N runs (niced, as the Sweeps page's) meanwhile.

Usage: ``python benchmarks/bench_live_charts.py [--seconds 10] [--compare DIR] [--with-sweep N]
[--json]``
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

import numpy as np  # noqa: E402
from browser_helpers import launch_chromium, open_app, running_app  # noqa: E402
from PIL import Image  # noqa: E402

from engine import Config  # noqa: E402
from ui.link import to_params  # noqa: E402

CHARTS = ["loss", "accuracy", "grad", "hidden"]  # .st-key-train-<name>_chart
VIEWPORT = {"width": 1600, "height": 1400}  # all four charts on screen at once (checked in every frame)
MAX_GAP_S = 0.2
SCALE = 0.5  # screenshots at half size: quicker to take, and a blank chart is as plain
SATURATION = 0.15  # a pixel is coloured above this HSV saturation (text and grid are grey)
MIN_COLOURED = 0.002  # a chart with fewer coloured pixels than this fraction of its box is blank
OUT = ROOT / "artifacts" / "bench_live_charts"


def coloured_fraction(img: np.ndarray) -> float:
    """Fraction of pixels whose HSV saturation exceeds ``SATURATION``. ``img``: (h, w, 3) uint8."""
    rgb = img.astype(np.int16)
    hi, lo = rgb.max(axis=2), rgb.min(axis=2)
    sat = np.where(hi > 0, (hi - lo) / np.maximum(hi, 1), 0.0)
    return float((sat > SATURATION).mean())


RECTS = f"""() => Object.fromEntries({CHARTS!r}.map(name => {{
  const el = document.querySelector(`.st-key-train-${{name}}_chart`);
  const r = el ? el.getBoundingClientRect() : null;
  return [name, r && r.width > 0 && r.height > 0 ? [r.x, r.y, r.width, r.height] : null];
}}))"""


def watch(page, seconds: float, out: Path) -> dict:
    """Screenshot the viewport as fast as possible for ``seconds``; judge every chart in every frame.

    Where the charts are is read from the DOM just before each screenshot (the layout can shift
    when a notice appears); a chart missing from the DOM counts as blank too.
    """
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    # Chromium's own screenshot call, JPEG and "optimised for speed": a PNG of this size takes longer
    # to encode than the 200 ms the frames may be apart on a busy machine.
    cdp = page.context.new_cdp_session(page)
    shot = {"format": "jpeg", "quality": 85, "optimizeForSpeed": True, "captureBeyondViewport": False,
            "clip": {"x": 0, "y": 0, **VIEWPORT, "scale": SCALE}}
    frames, times = [], []
    t0 = time.perf_counter()
    while (now := time.perf_counter()) - t0 < seconds:
        times.append(now - t0)
        rects = page.evaluate(RECTS)
        frames.append((rects, base64.b64decode(cdp.send("Page.captureScreenshot", shot)["data"])))
    blank_frames, blank_by_chart = [], dict.fromkeys(CHARTS, 0)
    for i, (rects, jpeg) in enumerate(frames):
        img = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
        blank = []
        for name, rect in rects.items():
            if rect is not None:
                x, y, w, h = (round(SCALE * v) for v in rect)
                crop = img[max(y, 0):y + h, max(x, 0):x + w]
            if rect is None or crop.size == 0 or coloured_fraction(crop) < MIN_COLOURED:
                blank.append(name)
                blank_by_chart[name] += 1
        if blank:
            blank_frames.append((i, round(times[i], 2), blank))
        if blank or i % 10 == 0:
            Image.fromarray(img).save(out / f"{i:03d}{'_blank' if blank else ''}.png")
    gaps = np.diff(times) if len(times) > 1 else np.array([0.0])
    return {"frames": len(frames), "blank_frames": len(blank_frames), "blank_by_chart": blank_by_chart,
            "blank": blank_frames, "max_gap_s": float(gaps.max()), "median_gap_s": float(np.median(gaps)),
            "gaps_over_limit": int((gaps > MAX_GAP_S).sum())}


def run(url: str, browser, config: Config, seconds: float, out: Path) -> dict:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    open_app(page, f"{url}/?{urllib.parse.urlencode(to_params(config))}")
    play = page.get_by_role("button", name="Play", exact=True)
    play.wait_for(state="visible")
    page.get_by_text("Pause when solved").click()  # train on past the solved step (~0.2 s in)
    play.click()
    # The default run's 1,000 steps may be over in well under a second: wait for any step.
    step = "document.querySelectorAll(\".st-key-status_bar [data-testid='stMetricValue']\")[1]"
    page.wait_for_function(f"() => ({step}?.innerText ?? '0') !== '0'", polling="raf")
    result = watch(page, seconds, out)
    step = page.locator(".st-key-status_bar [data-testid='stMetricValue']").nth(1).inner_text()
    result["step_reached"] = step
    page.context.close()
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to watch each run")
    ap.add_argument("--compare", type=Path, metavar="DIR",
                    help="another checkout of the app to watch too, alternating with this one")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--with-sweep", type=int, default=0, metavar="N",
                    help="run a sweep of N runs meanwhile (as bench_browser.py --with-sweep)")
    args = ap.parse_args(argv)
    from bench_browser import background_sweep
    from playwright.sync_api import sync_playwright

    apps = {"this": ROOT, **({"compare": args.compare.resolve()} if args.compare else {})}
    runs = {"default": Config(), "long": Config().replace(steps=1_000_000)}
    results: dict[str, dict] = {app: {} for app in apps}
    with contextlib.ExitStack() as stack:
        stack.enter_context(background_sweep(args.with_sweep))
        urls = {app: stack.enter_context(running_app(log_path=OUT / f"streamlit_{app}.log", root=root))
                for app, root in apps.items()}
        p = stack.enter_context(sync_playwright())
        browser = launch_chromium(p)
        stack.callback(browser.close)
        for name, config in runs.items():
            for app, url in urls.items():  # alternating, so background load hits both alike
                results[app][name] = run(url, browser, config, args.seconds, OUT / app / name)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{args.seconds:g} s of Play per run; screenshots in {OUT}")
    for app, root in apps.items():
        print(f"{app}: {root}")
        for name, r in results[app].items():
            print(f"  {name:8s} {r['blank_frames']:3d} of {r['frames']:3d} frames with a blank chart "
                  f"{r['blank_by_chart']}; gap between frames median {r['median_gap_s']:.3f} s, "
                  f"max {r['max_gap_s']:.3f} s ({r['gaps_over_limit']} over {MAX_GAP_S:g} s); "
                  f"step reached {r['step_reached']}")
            for i, t, charts in r["blank"][:10]:
                print(f"           frame {i} at {t:.2f} s: {', '.join(charts)}")
    ok = all(r["blank_frames"] == 0 and r["max_gap_s"] <= MAX_GAP_S for r in results["this"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
