"""A real Dask cluster on localhost (worker processes) runs a small sweep into the store."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.checkpoint import load
from engine.config import Config
from runs.executors import DaskExecutor, make_executor
from runs.sweep import make_grid
from runs.sweep_point import train_point
from runs.sweep_runner import create_sweep, run_sweep
from runs.sweep_store import SweepStore

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[2]

TINY = Config(bits=4, hidden=4, steps=60, eval_every=10, batch=16)


# The cluster lives in a fresh interpreter: LocalCluster's worker processes are multiprocessing
# children, which re-run the parent's __main__ (in a test session that may be a page script an
# app test left behind). It prints the scheduler's address and closes when its stdin closes.
CLUSTER = """
import sys
from distributed import LocalCluster
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                  scheduler_port=0, silence_logs=40) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()
"""


@pytest.fixture(scope="module")
def cluster_address():
    proc = subprocess.Popen([sys.executable, "-c", CLUSTER], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        address = proc.stdout.readline().strip()  # returns when the cluster is up (or gone)
        assert address.startswith("tcp://"), f"the cluster did not start (exit code {proc.poll()})"
        yield address
    finally:
        proc.stdin.close()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_a_dask_cluster_runs_a_sweep_into_the_store(cluster_address, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DASK", cluster_address)
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(make_grid(TINY, {"lr": "0.03,0.1", "cell": "rnn,lstm"}, seeds=2), sink)
    with make_executor(workers=1) as ex:  # RNNLAB_DASK wins over a local pool
        assert isinstance(ex, DaskExecutor) and ex.slots == 2
        progress = run_sweep(sweep_id, sink, ex)
    assert (progress.state, progress.ran, progress.failed) == ("finished", 8, 0)
    for p in sink.points(sweep_id, full=True):
        here = train_point(p.config)  # trained in this process: the cluster's results are the same
        assert p.result.summary() | {"wall_s": 0} == here.summary() | {"wall_s": 0}
        assert p.result.history == here.history
        for name, w in load(here.weights).params.items():
            np.testing.assert_array_equal(load(p.result.weights).params[name], w)


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(RuntimeError, match="could not reach the Dask scheduler at tcp://127.0.0.1:1"):
        DaskExecutor("tcp://127.0.0.1:1", timeout=2)
