"""The run store: round trips, migrations, concurrent writers."""

import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import checkpoint
from engine.config import Config
from engine.train import Trainer
from runs import migrations
from runs.store import Store, StoreError

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Config(hidden=4, bits=4, batch=8, steps=50, eval_every=10)


def rows(first, n, bad=False):
    steps = np.arange(first, first + n, dtype=float)
    loss = np.linspace(1.0, 0.5, n)
    if bad:
        loss[0], loss[-1] = math.nan, math.inf
    return {"step": steps, "loss": loss, "grad_norm": loss * 2, "samples": steps * 8, "lr": np.full(n, 0.05)}


def test_a_run_round_trips_with_its_config_and_key(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train", owner="visitor-1", key="secret")
    run = store.read_run(run_id)
    assert Config.from_dict(run["config"]) == CONFIG
    assert (run["state"], run["origin"], run["owner"], run["step"]) == ("queued", "train", "visitor-1", 0)
    assert "key_hash" not in run
    assert store.check_key(run_id, "secret") and not store.check_key(run_id, "guess")
    assert not store.check_key(run_id, None)
    assert store.read_run("nope") is None


def test_history_blocks_read_back_in_order_with_nan_and_inf(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train")
    store.record(run_id, train=rows(1, 5, bad=True), evals={"step": np.array([0.0]), "eval_loss": [0.7],
                                                            "exact_acc": [0.0], "bit_acc": [0.5]})
    store.record(run_id, train=rows(6, 4), step=9, state="training")
    hist = store.history(run_id)
    np.testing.assert_array_equal(hist["train"]["step"], np.arange(1, 10))
    assert math.isnan(hist["train"]["loss"][0]) and math.isinf(hist["train"]["loss"][4])
    assert hist["evals"]["eval_loss"].tolist() == [0.7]
    np.testing.assert_array_equal(store.history(run_id, since=7)["train"]["step"], [8, 9])
    assert len(store.history(run_id, since=7)["evals"]["step"]) == 0
    assert store.read_run(run_id)["step"] == 9 and store.read_run(run_id)["state"] == "training"


def test_truncating_history_keeps_the_rows_up_to_a_step(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train")
    store.record(run_id, train=rows(1, 5))
    store.record(run_id, train=rows(6, 5))
    store.truncate_history(run_id, 7)
    np.testing.assert_array_equal(store.history(run_id)["train"]["step"], np.arange(1, 8))


def test_snapshot_and_checkpoint_round_trip(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train")
    assert store.snapshot(run_id) is None and store.checkpoint(run_id) is None
    tr = Trainer(CONFIG)
    tr.advance(7)
    store.record(run_id, snapshot=(7, checkpoint.to_bytes(tr.model)), checkpoint=(7, b"state bytes"))
    model = store.snapshot(run_id)
    for k, v in tr.model.params.items():
        np.testing.assert_array_equal(model.params[k], v)
    assert store.checkpoint(run_id) == (7, b"state bytes")
    assert store.snapshot_bytes(run_id)[0] == 7


def test_bad_states_origins_and_fields_are_refused(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "sweep")
    with pytest.raises(StoreError, match="state must be one of"):
        store.update_run(run_id, state="exploded")
    with pytest.raises(StoreError, match="origin"):
        store.create_run(CONFIG, "nowhere")
    with pytest.raises(StoreError, match="unknown run field"):
        store.update_run(run_id, id="other")


def test_listing_filters_and_delete_removes_everything(tmp_path):
    store = Store(tmp_path)
    a = store.create_run(CONFIG, "train", owner="x")
    b = store.create_run(CONFIG, "sweep", owner="y")
    store.update_run(b, state="finished")
    store.record(a, train=rows(1, 3), snapshot=(3, b"w"), checkpoint=(3, b"c"))
    store.send_command(a, "pause")
    assert [r["id"] for r in store.list_runs()] == [b, a]
    assert [r["id"] for r in store.list_runs(state="finished")] == [b]
    assert [r["id"] for r in store.list_runs(owner="x")] == [a]
    store.delete_run(a)
    assert store.read_run(a) is None and store.checkpoint(a) is None and store.take_commands(a) == []
    assert len(store.history(a)["train"]["step"]) == 0


def test_commands_are_taken_once_in_order(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train")
    store.send_command(run_id, "lr", 0.01)
    store.send_command(run_id, "pause")
    assert store.take_commands(run_id) == [("lr", 0.01), ("pause", None)]
    assert store.take_commands(run_id) == []


def test_an_old_database_is_migrated_and_keeps_its_runs(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    conn = sqlite3.connect(tmp_path / "runs.sqlite", isolation_level=None)
    assert migrations.migrate(conn, upto=1) == 1
    conn.execute("INSERT INTO runs (id, config, state, origin, created, updated, step) "
                 "VALUES ('old', ?, 'paused', 'train', 1.0, 1.0, 42)", (CONFIG.to_json(),))
    conn.close()
    store = Store(tmp_path)
    version = store._conn().execute("PRAGMA user_version").fetchone()[0]
    assert version == migrations.VERSION >= 2
    run = store.read_run("old")
    assert (run["state"], run["step"], run["pause_when_solved"]) == ("paused", 42, False)
    store.send_command("old", "resume")  # the table version 2 added
    assert store.take_commands("old") == [("resume", None)]


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    Store(tmp_path)
    conn = sqlite3.connect(tmp_path / "runs.sqlite", isolation_level=None)
    conn.execute(f"PRAGMA user_version = {migrations.VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(tmp_path)


def test_data_folder_comes_from_the_environment_and_is_created(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path / "lab" / "data"))
    store = Store()
    assert store.path == tmp_path / "lab" / "data" / "runs.sqlite" and store.path.exists()
    mode = store._conn().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


WRITER = """
import sys
import numpy as np
from runs.store import Store
folder, run_id, blocks = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(folder)
for i in range(blocks):
    steps = np.arange(1 + 10 * i, 11 + 10 * i, dtype=float)
    store.record(run_id, train={"step": steps, "loss": steps / 7, "grad_norm": steps, "samples": steps,
                                "lr": steps * 0}, step=10 * (i + 1), heartbeat=float(i))
    store.send_command(run_id, "lr", float(i))
"""


def test_concurrent_writers_lose_nothing(tmp_path):
    store = Store(tmp_path)
    ids = [store.create_run(CONFIG, "sweep") for _ in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), run_id, "40"], cwd=ROOT)
             for run_id in ids]
    try:
        while any(p.poll() is None for p in procs):  # a reader alongside the writers
            for run_id in ids:
                hist = store.history(run_id)["train"]["step"]
                np.testing.assert_array_equal(hist, np.arange(1, len(hist) + 1))  # whole blocks only
    finally:
        for p in procs:
            p.wait(120)
    assert [p.returncode for p in procs] == [0] * 4
    for run_id in ids:
        np.testing.assert_array_equal(store.history(run_id)["train"]["step"], np.arange(1, 401))
        assert store.read_run(run_id)["step"] == 400
        assert [v for _, v in store.take_commands(run_id)] == [float(i) for i in range(40)]
    assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
