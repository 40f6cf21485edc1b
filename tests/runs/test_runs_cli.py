"""``python -m runs``: list, show, export and resume."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from engine import checkpoint
from engine.config import Config
from engine.train import Trainer
from runs.__main__ import main
from runs.store import Store
from runs.worker import Worker
from ui import downloads

CONFIG = Config(hidden=4, bits=4, batch=8, steps=200, eval_every=10, seed=5)
ROOT = Path(__file__).resolve().parents[2]


def half_run(folder):
    """A run trained to step 80 and left interrupted (as by a killed server)."""
    store = Store(folder)
    run_id = store.create_run(CONFIG, "train")
    w = Worker(store, run_id, paused=True)
    store.send_command(run_id, "step", 80)
    while w.trainer.step < 80:
        w.turn()
    store.mark_interrupted(run_id)
    return store, run_id


def test_list_and_show_as_text_and_json(tmp_path, capsys):
    store, run_id = half_run(tmp_path)
    assert main(["--data", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert run_id in out and "interrupted" in out and "step       80" in out
    assert main(["--data", str(tmp_path), "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == [run_id]
    assert main(["--data", str(tmp_path), "show", run_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["step"] == 80 and Config.from_dict(shown["config"]) == CONFIG
    assert main(["--data", str(tmp_path), "show", run_id]) == 0
    assert "Resume continues" in capsys.readouterr().out


def test_unknown_run_is_an_error_message_not_a_traceback(tmp_path, capsys):
    Store(tmp_path)
    assert main(["--data", str(tmp_path), "show", "nope"]) == 2
    assert "no run with id 'nope'" in capsys.readouterr().err


def test_export_writes_the_weights_and_the_history(tmp_path):
    store, run_id = half_run(tmp_path)
    npz, table = tmp_path / "w.npz", tmp_path / "h.csv"
    assert main(["--data", str(tmp_path), "export", run_id, "--npz", str(npz)]) == 0
    assert main(["--data", str(tmp_path), "export", run_id, "--csv", str(table)]) == 0
    ref = Trainer(CONFIG)
    ref.advance(80)
    model = checkpoint.load(npz)
    for k, v in ref.model.params.items():
        np.testing.assert_array_equal(model.params[k], v)
    with open(table) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 81  # the evaluation before training, then one row per step
    assert [float(r["loss"]) for r in rows[1:]] == ref.history.train["loss"].tolist()
    evaluated = [r for r in rows if r["exact_acc"]]
    assert [int(r["step"]) for r in evaluated] == ref.history.evals["step"].tolist()
    assert table.read_text() == downloads.history_csv(ref.history).decode()  # as the page's download


def test_resume_finishes_the_run_as_if_never_stopped(tmp_path):
    store, run_id = half_run(tmp_path)
    out = subprocess.run([sys.executable, "-m", "runs", "--data", str(tmp_path), "resume", run_id],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "finished" in out.stdout
    whole = Trainer(CONFIG)
    whole.run()
    np.testing.assert_array_equal(store.history(run_id)["train"]["loss"], whole.history.train["loss"])
    np.testing.assert_array_equal(store.snapshot(run_id).params["Why"], whole.model.params["Why"])
