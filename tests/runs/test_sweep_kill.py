"""Nothing lost: a sweep whose coordinator is killed with SIGKILL leaves a sound database with every
finished run and no worker processes behind, and ``--resume`` trains only the missing points."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from runs.sweep_store import SweepStore

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "runs", "sweep"]
GRID = ["--hidden", "6,8", "--lr", "0.03,0.05", "--seeds", "2", "--bits", "6", "--steps", "600",
        "--full-budget", "--workers", "1"]


def poll(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


@pytest.mark.slow
def test_kill_9_mid_sweep_keeps_finished_runs_and_resume_trains_only_the_rest(tmp_path):
    env = {**os.environ, "RNNLAB_DATA": str(tmp_path)}
    proc = subprocess.Popen([*CLI, *GRID], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers = []
    try:
        store = poll(lambda: (tmp_path / "runs.sqlite").exists() and SweepStore(tmp_path), 60, "the store")
        sweep_id = poll(lambda: [s["id"] for s in store.sweeps()], 60, "the sweep")[0]
        poll(lambda: len(store.finished_at(sweep_id)) >= 2, 300, "two finished runs")
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert workers, "the sweep has no worker processes"
        proc.kill()  # SIGKILL to the coordinator alone, as to a killed server
        proc.wait(30)
        gone, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, f"worker processes outlived their coordinator: {alive}"
    finally:  # whatever happened, nothing started here keeps running
        for p in [proc, *workers]:
            with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
                p.kill()
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert store.integrity() == "ok"
    kept = store.finished_at(sweep_id)
    assert 2 <= len(kept) < 8, "the sweep was not killed in the middle"
    points = store.points(sweep_id, full=True)
    assert len(points) == 8
    for p in points:
        if p.run_id in kept:
            assert p.state in ("solved", "finished") and p.result.steps == 600 and p.result.weights
        else:
            assert p.state == "queued" and p.result is None

    done = subprocess.run([*CLI, "--resume", str(sweep_id), "--workers", "2", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sweep_id"] == sweep_id and report["total"] == 8
    assert report["ran"] == 8 - len(kept)
    assert len(report["runs"]) == 8 and all(r["state"] in ("solved", "finished") for r in report["runs"])
    after = store.finished_at(sweep_id)
    assert {i: after[i] for i in kept} == kept  # finished runs were not trained again
    assert store.integrity() == "ok" and len(store.points(sweep_id)) == 8
