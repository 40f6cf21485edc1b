"""The stored runs as rows: summary, filters, settings side by side, the table's CSV, and delete."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from run_helpers import wait_for

from engine.config import Config
from runs import RunError, Store
from runs.catalog import SUMMARY_COLUMNS, compare_settings, filter_runs, runs_csv, summary_row
from runs.launch import ROOT
from runs.library import discard


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path)


def add(store, state="finished", origin="train", **config):
    run_id = store.create_run(Config(**config), origin)
    store.update_run(run_id, state=state)
    return store.read_run(run_id)


def test_summary_row_has_the_runs_state_settings_and_progress(store):
    run = add(store, cell="gru", hidden=12, lr=0.02, steps=500)
    store.update_run(run["id"], step=321, best_exact=0.75, solved_at=300, lr=0.005, started=1234.5)
    row = summary_row(store.read_run(run["id"]))
    assert set(row) == set(SUMMARY_COLUMNS)
    assert (row["cell"], row["hidden"], row["steps_budget"]) == ("gru", 12, 500)
    assert (row["step"], row["best_exact"], row["solved_at"], row["started"]) == (321, 0.75, 300, 1234.5)
    assert row["lr"] == 0.005, "the learning rate is the run's current one, not the starting one"


def test_filters_combine_state_cell_and_origin(store):
    a = add(store, "finished", cell="rnn")
    b = add(store, "paused", cell="gru")
    c = add(store, "finished", "sweep", cell="gru")
    runs = store.list_runs()
    ids = lambda rs: {r["id"] for r in rs}  # noqa: E731
    assert ids(filter_runs(runs)) == {a["id"], b["id"], c["id"]}
    assert ids(filter_runs(runs, states=["finished"])) == {a["id"], c["id"]}
    assert ids(filter_runs(runs, cells=["gru"])) == {b["id"], c["id"]}
    assert ids(filter_runs(runs, states=["finished"], cells=["gru"])) == {c["id"]}
    assert ids(filter_runs(runs, origins=["train"], cells=["gru"])) == {b["id"]}


def test_compare_settings_marks_exactly_the_settings_that_differ(store):
    a = add(store, cell="rnn", hidden=8, seed=1)
    b = add(store, cell="rnn", hidden=16, seed=1)
    c = add(store, cell="rnn", hidden=8, seed=2)
    rows = compare_settings([a, b, c])
    assert [r["setting"] for r in rows][:3] == ["cell", "hidden", "layers"]
    assert {r["setting"] for r in rows if r["differs"]} == {"hidden", "seed"}
    hidden = next(r for r in rows if r["setting"] == "hidden")
    assert hidden["values"] == [8, 16, 8] and hidden["label"] == "Hidden units"


def test_runs_csv_writes_one_row_per_run_in_column_order(store):
    a = add(store, hidden=8)
    store.update_run(a["id"], best_exact=0.5)
    rows = [summary_row(r) for r in store.list_runs()]
    parsed = list(csv.reader(io.StringIO(runs_csv(rows))))
    assert parsed[0] == list(SUMMARY_COLUMNS)
    line = dict(zip(parsed[0], parsed[1], strict=True))
    assert (line["id"], line["hidden"], line["best_exact"], line["solved_at"]) == (a["id"], "8", "0.5", "")


def test_discard_deletes_an_ended_run_and_refuses_an_active_one(store):
    done = add(store, "finished")
    active = add(store, "training")
    discard(store, done["id"])
    assert store.read_run(done["id"]) is None
    with pytest.raises(RunError, match="training"):
        discard(store, active["id"])
    assert store.read_run(active["id"]) is not None
    with pytest.raises(RunError, match="no such run"):
        discard(store, done["id"])


def test_discard_lets_a_paused_runs_idle_worker_exit_first(store, tmp_path):
    run_id = store.create_run(Config(hidden=4, steps=50), "cli")
    worker = subprocess.Popen([sys.executable, "-c", "from runs.worker import cli; cli()", str(tmp_path),
                               run_id, "--paused"], cwd=ROOT)
    try:
        wait_for(lambda: (r := store.read_run(run_id))["state"] == "paused" and r["heartbeat"], 60,
                 "the worker to build the model and wait")
        discard(store, run_id)
        assert worker.wait(30) == 0, "the idle worker exits when its run is deleted"
        assert store.read_run(run_id) is None
        assert store.history(run_id)["train"]["step"].size == 0
        assert store.snapshot_bytes(run_id) is None and store.checkpoint(run_id) is None
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
