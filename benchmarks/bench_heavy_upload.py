"""A heavy upload in a real browser: how long until the Unrolled page is usable again?

Builds the heaviest model the app accepts for analysis, a valid four-layer, 512-unit LSTM for
64-bit sums whose float32 weights are zeros (a ~32 KB compressed ``.npz`` for 29 MB of
weights), runs ``streamlit run streamlit_app.py`` on a free local port, opens the Unrolled page
in headless Chromium (Debian's, at /usr/bin/chromium), uploads the file and measures the wall
time from the upload until the script has finished (``data-test-script-state='notRunning'``)
with every analysis drawn. Target: under 15 s (the analyses fit their time budgets in
``engine/analysis/budget.py``); without budgets this took about half an hour. For scale, the same
is measured in the same run for a small model (a 16-unit RNN, whose analyses take well under a
second): the difference is what the heavy model's analyses cost, whatever else the machine does.

Usage: ``python benchmarks/bench_heavy_upload.py [--json]``; a screenshot goes to
``artifacts/screenshots/heavy_upload.png``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from browser_helpers import (  # noqa: E402
    IDLE_SELECTOR,
    launch_chromium,
    open_app,
    running_app,
    save_screenshot,
)

from engine import checkpoint  # noqa: E402
from engine.config import Config  # noqa: E402

HEAVY = Config(cell="lstm", hidden=512, layers=4, bits=64, dtype="float32")
TARGET_S = 15.0


SMALL = Config(hidden=16, bits=8)


def heavy_file(config: Config = HEAVY) -> bytes:
    """A model of zero weights as a compressed ``.npz`` (zeros compress to almost nothing)."""
    params = {k: np.zeros(s, config.dtype) for k, s in checkpoint.param_shapes(config).items()}
    arrays = {f"param/{k}": v for k, v in params.items()}
    arrays.update(format=np.array(checkpoint.FORMAT), config=np.array(config.to_json()), meta=np.array("{}"),
                  sha256=np.array(checkpoint._digest(params)))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def upload(page, path: Path, timeout_s: float, wait_text: str | None = None) -> float:
    """Seconds from choosing ``path`` in the uploader until the page has settled."""
    start = time.perf_counter()
    page.locator(".st-key-unrolled-upload input[type='file']").set_input_files(str(path))
    page.get_by_text(f"Loaded {path.name}").first.wait_for(timeout=timeout_s * 1000)
    if wait_text:
        page.get_by_text(wait_text, exact=False).first.wait_for(timeout=timeout_s * 1000)
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=timeout_s * 1000)
    return time.perf_counter() - start


def measure(timeout_s: float = 600) -> dict:
    from playwright.sync_api import sync_playwright

    data = heavy_file()
    with tempfile.TemporaryDirectory() as tmp, running_app() as url, sync_playwright() as p:
        path, small = Path(tmp) / "heavy.npz", Path(tmp) / "small.npz"
        path.write_bytes(data)
        small.write_bytes(heavy_file(SMALL))
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_app(page, url)
            page.get_by_role("link", name="Unrolled").first.click()
            page.get_by_text("Where the carry lives").wait_for()
            page.wait_for_selector(IDLE_SELECTOR, state="attached")
            small_s = upload(page, small, timeout_s)
            seconds = upload(page, path, timeout_s, "measured on")
            captions = [t for t in page.locator("[data-testid='stCaptionContainer']").all_inner_texts()
                        if "large model" in t]
            shot = save_screenshot(page, "heavy_upload", full_page=True)
        finally:
            browser.close()
    return {"file_bytes": len(data), "seconds_until_usable": round(seconds, 1), "target_s": TARGET_S,
            "met": seconds < TARGET_S, "small_model_seconds": round(small_s, 1), "sample_notes": captions,
            "screenshot": str(shot)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = measure()
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['file_bytes']:,}-byte upload: the Unrolled page was usable again after "
              f"{result['seconds_until_usable']} s (target < {TARGET_S:g} s); a small model's upload took "
              f"{result['small_model_seconds']} s in the same run")
        for note in result["sample_notes"]:
            print("  " + note)
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
