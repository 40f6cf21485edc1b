"""Training in a run-service worker against the headless engine, on the same configuration.

A worker trains in ~50 ms chunks and after each one appends history to the store, publishes
weights twice a second and checkpoints every few seconds; this measures what that costs. The
contenders alternate (``--rounds`` each, ``--seconds`` per turn) so a busy machine hurts both
alike. Target: the worker at 0.9x or more of the headless steps/s (the worker is niced; on an
otherwise idle machine that does not slow it).

Usage: ``python benchmarks/bench_worker.py [--seconds 4] [--rounds 3] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Config, Trainer  # noqa: E402
from runs.service import RunService  # noqa: E402

CONFIG = Config().replace(steps=10_000_000)


def headless(seconds: float) -> float:
    tr = Trainer(CONFIG)
    tr.advance(20)
    start, taken = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        taken += tr.advance_for(0.05)
    return taken / (time.perf_counter() - start)


def worker(service: RunService, seconds: float) -> float:
    run_id, key = service.start(CONFIG, live=False)
    while service.store.read_run(run_id)["step"] < 20:  # the process has started and trains
        time.sleep(0.01)
    first, start = service.store.read_run(run_id)["step"], time.perf_counter()
    time.sleep(seconds)
    last, elapsed = service.store.read_run(run_id)["step"], time.perf_counter() - start
    service.command(run_id, key, "stop")
    while service.store.read_run(run_id)["state"] != "finished":
        time.sleep(0.01)
    return (last - first) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        service = RunService(folder)
        try:
            rates = {"headless": [], "worker": []}
            for _ in range(args.rounds):
                rates["headless"].append(headless(args.seconds))
                rates["worker"].append(worker(service, args.seconds))
        finally:
            service.close()
    result = {k: sum(v) / len(v) for k, v in rates.items()}
    result["ratio"] = result["worker"] / result["headless"]
    if args.json:
        print(json.dumps(result))
    else:
        print(f"headless {result['headless']:,.0f} steps/s, worker {result['worker']:,.0f} steps/s, "
              f"ratio {result['ratio']:.2f} (target 0.9 or more)")


if __name__ == "__main__":
    main()
