"""A paced run: single steps (or small groups) spread evenly, never faster than the pace, and a
worker that still takes commands while it waits between steps."""

import time

import numpy as np
import pytest
from run_helpers import wait_for

from engine.config import Config
from engine.train import Trainer
from runs import worker
from runs.service import RunError
from runs.store import Store
from runs.worker import Worker

CONFIG = Config(hidden=4, bits=4, batch=8, steps=400, eval_every=10, seed=3)


def paced_worker(tmp_path, pace, config=CONFIG):
    store = Store(tmp_path)
    run_id = store.create_run(config, "train")
    store.send_command(run_id, "pace", pace)
    return store, run_id, Worker(store, run_id)


def intervals(w):
    starts = np.array([t for t, _ in w.paced])
    return np.diff(starts)


def test_paced_steps_come_one_at_a_time_evenly_and_each_reaches_the_store(tmp_path):
    pace = 40.0
    store, run_id, w = paced_worker(tmp_path, pace)
    seen = []
    while w.trainer.step < 30:
        assert w.turn()
        seen.append((w.trainer.step, store.read_run(run_id)["step"]))
    assert all(n == 1 for _, n in w.paced)  # single steps, no bursts
    gaps = intervals(w)
    assert len(gaps) == 29
    assert gaps.min() >= 1 / pace  # the pace is an upper bound between any two steps
    assert np.median(gaps) < 20 / pace  # and it is kept (generously: the machine may be busy)
    assert all(ours == stored for ours, stored in seen)  # every step is recorded as it happens
    assert len(store.history(run_id)["train"]["loss"]) == 30


def test_high_paces_train_small_groups_never_faster_than_the_pace(tmp_path):
    pace = 1000.0
    store, run_id, w = paced_worker(tmp_path, pace)
    while w.trainer.step < 200:
        assert w.turn()
    group = int(pace * worker.PACE_GROUP)
    sizes = [n for _, n in w.paced]
    assert max(sizes) == group
    gaps = intervals(w)
    assert (gaps >= np.array(sizes[:-1]) / pace).all()


def test_a_paced_run_records_what_an_unpaced_trainer_does(tmp_path):
    store, run_id, w = paced_worker(tmp_path, 2000.0)
    w.run()
    whole = Trainer(CONFIG)
    whole.run()
    assert store.read_run(run_id)["state"] == "finished"
    hist = store.history(run_id)
    np.testing.assert_array_equal(hist["train"]["loss"], whole.history.train["loss"])
    np.testing.assert_array_equal(hist["evals"]["exact_acc"], whole.history.evals["exact_acc"])


def test_pause_is_taken_while_a_slow_pace_waits(tmp_path):
    store, run_id, w = paced_worker(tmp_path, 0.1)  # ten seconds between steps
    assert w.turn() and w.trainer.step == 1
    start = time.monotonic()
    for _ in range(3):  # waiting turns return after a short look, they do not sleep to the next step
        assert w.turn() and w.trainer.step == 1
    store.send_command(run_id, "pause")
    assert w.turn()
    assert time.monotonic() - start < 5.0  # far less than the ten seconds to the next step
    run = store.read_run(run_id)
    assert (run["state"], run["step"]) == ("paused", 1)


def test_step_n_at_a_pace_is_paced_and_stops_at_n(tmp_path):
    store, run_id, w = paced_worker(tmp_path, 50.0)
    store.send_command(run_id, "pause")
    w.turn()
    store.send_command(run_id, "step", 5)
    while w.turn() and store.read_run(run_id)["state"] != "paused":
        pass
    assert w.trainer.step == 5 and [n for _, n in w.paced] == [1] * 5


def test_pace_zero_returns_to_full_speed(tmp_path):
    store, run_id, w = paced_worker(tmp_path, 50.0)
    w.turn()
    store.send_command(run_id, "pace", 0)
    before = (w.trainer.step, len(w.paced))
    w.turn()
    assert w.pace is None and len(w.paced) == before[1] and w.trainer.step > before[0]


def test_the_service_passes_a_pace_on_to_the_runs_next_worker(make_service):
    service = make_service()
    run_id, key = service.start(CONFIG, paused=True)
    wait_for(lambda: service.store.read_run(run_id)["state"] == "paused", what="the paused start")
    with pytest.raises(RunError, match="steps per second"):
        service.command(run_id, key, "pace", -1)
    service.command(run_id, key, "pace", 20.0)
    service.command(run_id, key, "resume")
    wait_for(lambda: service.store.read_run(run_id)["step"] >= 10, what="ten paced steps")
    service.command(run_id, key, "pause")
    wait_for(lambda: service.store.read_run(run_id)["state"] == "paused", what="the pause")
    run = service.store.read_run(run_id)
    elapsed = run["updated"] - run["started"]
    assert run["step"] <= 20.0 * elapsed + 1  # the worker kept to the pace: an upper bound
