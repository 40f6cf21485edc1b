"""Running sweeps: a sweep's results are the configs trained one by one; the coordinator runs in the
background of the process that starts it; a cancelled sweep keeps its finished runs and resumes."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from engine.checkpoint import load
from engine.config import Config
from engine.train import Trainer
from engine.train_state import restore
from runs.executors import NICE, LocalExecutor, make_executor
from runs.store import Store
from runs.sweep import make_grid, missing_points
from runs.sweep_runner import HEARTBEAT_S, create_sweep, job, run_sweep, start_sweep
from runs.sweep_store import SweepStore
from runs.view import RunView

TINY = Config(bits=4, hidden=4, steps=80, eval_every=10, batch=16)


def wait_for(condition, seconds=120.0, what="the condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_sweeps_results_equal_the_configs_trained_one_by_one(tmp_path):
    grid = make_grid(TINY, {"lr": "0.03,0.1", "cell": "rnn,gru"}, seeds=2, stop_when_solved=False)
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(grid, sink)
    with LocalExecutor(2) as ex:
        progress = run_sweep(sweep_id, sink, ex)
    assert (progress.state, progress.ran, progress.done, progress.failed) == ("finished", 8, 8, 0)
    points = sink.points(sweep_id, full=True)
    assert [p.config for p in points] == grid.configs()
    for p in points:
        alone = Trainer(p.config)  # the same config, trained here on its own
        alone.run()
        r = p.result
        assert r.steps == alone.step == TINY.steps and r.solved_at_step == alone.solved_at_step
        assert r.final_loss == alone.history.evals.last("eval_loss")
        assert r.exact_accuracy == alone.history.evals.last("exact_acc")
        for kind in ("train", "evals"):
            theirs = getattr(alone.history, kind).to_dict()
            assert r.history[kind] == {k: v.tolist() for k, v in theirs.items()}, kind
        model = load(r.weights)
        for name, w in alone.model.params.items():
            np.testing.assert_array_equal(model.params[name], w, err_msg=f"{p.config} {name}")


def test_a_point_stops_at_the_step_that_solves_it(tmp_path):
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(make_grid(TINY.replace(hidden=8, lr=0.1, steps=1000), {}, seeds=2), sink)
    with LocalExecutor(1) as ex:
        run_sweep(sweep_id, sink, ex)
    for p in sink.points(sweep_id):
        assert p.state == "solved" and p.result.steps == p.result.solved_at_step < 1000
        assert p.result.exact_accuracy == 1.0


def test_local_workers_run_below_the_priority_of_their_starter():
    with LocalExecutor(1) as ex:
        worker_nice = ex.submit(os.nice, 0).result()
    assert worker_nice == min(19, os.nice(0) + NICE)


def test_without_rnnlab_dask_the_executor_is_a_local_pool(monkeypatch):
    monkeypatch.delenv("RNNLAB_DASK", raising=False)
    with make_executor(2) as ex:
        assert isinstance(ex, LocalExecutor) and ex.slots == 2


def test_a_sweep_runs_in_the_background_of_the_process_that_starts_it(tmp_path):
    path = tmp_path
    sweep_id = create_sweep(make_grid(TINY, {"hidden": "3,5"}, seeds=2), SweepStore(path))
    started = start_sweep(sweep_id, lambda: SweepStore(path), lambda: LocalExecutor(2))
    assert start_sweep(sweep_id, lambda: SweepStore(path)) is started  # starting it again joins it
    del started  # whoever started it goes away (a closed page): the process keeps the sweep
    wait_for(lambda: not job(sweep_id).alive, what="the background sweep")
    assert job(sweep_id).progress.state == "finished" and job(sweep_id).progress.done == 4
    assert missing_points(SweepStore(path), sweep_id) == []


def test_a_cancelled_sweep_keeps_its_finished_runs_and_resumes_only_the_rest(tmp_path):
    path = tmp_path
    sink = SweepStore(path)
    sweep_id = create_sweep(make_grid(TINY.replace(steps=4000), {"hidden": "3,4,5"}, seeds=3,
                                      stop_when_solved=False), sink)
    background = start_sweep(sweep_id, lambda: SweepStore(path), lambda: LocalExecutor(1))
    wait_for(lambda: len(sink.finished_at(sweep_id)) >= 2, what="two finished runs")
    background.cancel()
    assert background.join(120)
    assert background.progress.state == "cancelled"
    kept = sink.finished_at(sweep_id)
    assert 2 <= len(kept) < 9
    states = {p.state for p in sink.points(sweep_id) if p.run_id not in kept}
    assert states <= {"interrupted", "queued"}
    with LocalExecutor(2) as ex:
        progress = run_sweep(sweep_id, sink, ex)
    assert progress.ran == 9 - len(kept) and progress.done == 9
    after = sink.finished_at(sweep_id)
    assert {i: after[i] for i in kept} == kept  # the runs finished before were not trained again
    assert len(sink.points(sweep_id)) == 9 and missing_points(sink, sweep_id) == []


def test_a_killed_worker_fails_its_point_the_sweep_goes_on_and_resume_retrains_it(tmp_path):
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(make_grid(TINY.replace(steps=4000), {"hidden": "3,4"}, seeds=3,
                                      stop_when_solved=False), sink)
    outcome = {}
    with LocalExecutor(1) as ex:
        coordinator = threading.Thread(target=lambda: outcome.update(p=run_sweep(sweep_id, sink, ex)))
        coordinator.start()
        try:
            wait_for(lambda: len(sink.finished_at(sweep_id)) >= 1, what="a finished run")
            os.kill(ex.pids()[0], signal.SIGKILL)
        finally:
            coordinator.join(300)
    assert not coordinator.is_alive() and outcome["p"].state == "finished" and outcome["p"].failed == 1
    (failed,) = [p for p in sink.points(sweep_id) if p.state == "failed"]
    assert "the worker process ended" in failed.result.message
    before = sink.finished_at(sweep_id)
    with LocalExecutor(2) as ex:
        again = run_sweep(sweep_id, sink, ex)
    assert again.state == "finished" and again.ran == 1 and again.run_ids == [failed.run_id]
    after = sink.finished_at(sweep_id)
    assert all(after[i] == t for i, t in before.items() if i != failed.run_id)
    assert missing_points(sink, sweep_id) == []


def test_a_closed_executor_takes_no_more_work():
    ex = LocalExecutor(1)
    ex.close()
    with pytest.raises(RuntimeError, match="closed"):
        ex.submit(os.nice, 0)


def test_a_sweeps_runs_are_ordinary_runs_a_page_can_open(tmp_path):
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(make_grid(TINY.replace(hidden=8, lr=0.1, steps=400), {"cell": "rnn,gru"}), sink)
    with LocalExecutor(2) as ex:
        run_sweep(sweep_id, sink, ex)
    store = Store(tmp_path)
    for p in sink.points(sweep_id):
        run = store.read_run(p.run_id)
        assert run["origin"] == "sweep" and run["state"] == p.state == "solved"
        assert run["solved_at"] == run["step"] == p.result.solved_at_step and run["best_exact"] == 1.0
        view = RunView(store, p.run_id)  # what the Train, Unrolled and Gradients pages read
        assert view.state == "solved" and view.solved_at_step == p.result.solved_at_step
        assert view.config == p.config and view.step == p.result.steps
        assert view.model is not None and view.history.evals.last("exact_acc") == 1.0
        step, state = store.checkpoint(p.run_id)  # a worker can continue it exactly, as any run
        assert step == p.result.steps and restore(state).step == step


def test_points_the_run_service_marked_interrupted_are_still_trained(tmp_path):
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(make_grid(TINY, {"hidden": "3,4"}), sink)
    assert sink.store.interrupt_stale(lease=0.0)  # as a server that found no live coordinator does
    assert {p.state for p in sink.points(sweep_id)} == {"interrupted"}
    with LocalExecutor(1) as ex:
        progress = run_sweep(sweep_id, sink, ex)
    assert progress.ran == 2 and missing_points(sink, sweep_id) == []


def test_a_running_sweep_keeps_its_queued_points_alive_for_the_run_service(tmp_path):
    sink = SweepStore(tmp_path)
    # long points (the sweep is cancelled once the heartbeats are seen renewed), so some stay queued
    sweep_id = create_sweep(make_grid(TINY.replace(steps=100_000), {"hidden": "3,4,5"}, seeds=3,
                                      stop_when_solved=False), sink)
    created = time.time()

    def queued_heartbeats():
        rows = [sink.store.read_run(p.run_id) for p in sink.points(sweep_id)]
        return [r["heartbeat"] for r in rows if r["state"] == "queued"]

    background = start_sweep(sweep_id, lambda: SweepStore(tmp_path), lambda: LocalExecutor(1))
    try:  # the heartbeats are renewed while the coordinator lives, so the service's stale check passes them
        wait_for(lambda: (beats := queued_heartbeats()) and min(beats) > created + HEARTBEAT_S,
                 what="renewed heartbeats")
        assert sink.store.interrupt_stale(lease=5 * HEARTBEAT_S) == []
    finally:
        background.cancel()
        background.join(120)


def test_deleting_a_sweeps_run_removes_it_from_the_sweep(tmp_path):
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(make_grid(TINY, {"lr": "0.03,0.1"}, seeds=1), sink)
    first, second = (p.run_id for p in sink.points(sweep_id))
    sink.store.delete_run(first)
    assert [p.run_id for p in sink.points(sweep_id)] == [second]
