"""The command line: JSON output, saving, refusing bad options, the classic report and gradient checks."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine import classic, cli
from engine.cells.rnn import RNNCell
from engine.checkpoint import load_with_meta
from engine.config import preset

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_json_reports_the_run(capsys):
    code, out, _ = run(capsys, "train", "--steps", "200", "--json")
    assert code == 0
    report = json.loads(out)
    for key in ("steps", "wall_s", "steps_per_s", "final_loss", "exact_accuracy", "bit_accuracy",
                "solved_at_step", "diverged"):
        assert key in report, key
    assert report["steps"] == 200 and report["diverged"] is False and report["status"] == "finished"
    assert 0 <= report["exact_accuracy"] <= report["bit_accuracy"] <= 1
    assert report["solved_at_step"] is None or 0 <= report["solved_at_step"] <= 200
    assert report["wall_s"] > 0 and report["steps_per_s"] > 0
    assert report["final_loss"] > 0 and report["config"]["steps"] == 200


def test_train_json_is_deterministic_for_a_seed(capsys):
    one = json.loads(run(capsys, "train", "--steps", "30", "--json", "--seed", "3")[1])
    two = json.loads(run(capsys, "train", "--steps", "30", "--json", "--seed", "3")[1])
    assert one["final_loss"] == two["final_loss"] and one["config"]["seed"] == 3


def test_a_diverging_run_exits_1_with_the_reason(capsys):
    code, out, err = run(capsys, "train", "--loss", "mse", "--lr", "10", "--steps", "300", "--json")
    assert code == 1
    assert json.loads(out)["diverged"] is True
    assert "Training diverged" in err


def test_train_can_save_the_model(tmp_path, capsys):
    path = tmp_path / "model.npz"
    code, out, _ = run(capsys, "train", "--steps", "20", "--hidden", "6", "--cell", "gru",
                       "--save", str(path), "--json")
    assert code == 0
    model, meta = load_with_meta(path)
    assert model.config.cell == "gru" and model.config.hidden == 6 and meta == {"step": 20}
    assert json.loads(out)["config"]["cell"] == "gru"


@pytest.mark.parametrize("where, message", [
    ("no/dir/m.npz", "the folder"),  # a missing folder
    ("", "needs a file name"),
    ("sub/..", "needs a file name"),
    (".", "needs a file name"),
])
def test_a_bad_save_path_exits_2_before_training(tmp_path, capsys, monkeypatch, where, message):
    monkeypatch.chdir(tmp_path)
    started = []
    monkeypatch.setattr(cli, "Trainer", lambda *a: started.append(a))
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--steps", "2", "--save", where])
    assert info.value.code == 2 and started == []
    err = capsys.readouterr().err
    assert "--save" in err and message in err and "Traceback" not in err


def test_a_save_path_in_a_read_only_folder_exits_2(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who may write anywhere")
        with pytest.raises(SystemExit) as info:
            cli.main(["train", "--steps", "2", "--save", str(folder / "m.npz")])
        assert info.value.code == 2 and "permission denied" in capsys.readouterr().err
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("argv, message", [
    (["--lr", "-1"], "Learning rate (lr): '-1' is not allowed; it takes a number from 0.00001 to 100"),
    (["--bits", "0"], "Bits per number (bits): '0' is not allowed"),
    (["--cell", "nope"], "invalid choice: 'nope'"),
    (["--preset", "nope"], "invalid choice: 'nope'"),
    (["--steps", "ten"], "argument --steps: Steps budget (steps): 'ten' is not allowed"),
    (["--seed", "٣"], "Seed (seed): '٣' is not allowed; it takes a whole number from 0 to 4,294,967,295"),
])
def test_a_bad_option_exits_2_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "error:" in err and message in err


def test_the_classic_preset_prints_the_tutorial_error_lines(capsys):
    code, out, _ = run(capsys, "train", "--preset", "classic", "--steps", "10")
    assert code == 0
    lines = out.splitlines()
    # One line per iteration (every = steps // 10 = 1), then the end error.
    assert [line.split(" ")[0] for line in lines[:10]] == [f"{j}/10" for j in range(10)]
    assert lines[-1].startswith("The end error is:[")
    # The first figure is the error of the tutorial's first sample for seed 0 ...
    assert lines[0] == "0/10 :The error is:[3.45638663]"
    # ... which is what engine.classic computes for that sample.
    cfg = preset("classic")
    rs = np.random.RandomState(cfg.seed)
    params = classic.init_params(rs, cfg.hidden)
    error, _ = classic.train_sample(params, rs, cfg.lr, cfg.bits)
    assert lines[0] == f"0/10 :The error is:{classic.format_error(error)}"


def test_gradcheck_passes_and_sums_up(capsys):
    code, out, _ = run(capsys, "gradcheck")
    assert code == 0
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("gradient check passed: worst relative error")
    assert "over 30 model(s)" in summary
    # The default sweep covers stacked models with dropout and models without biases for every cell.
    for cell in ("rnn", "lstm", "gru"):
        assert any(line.startswith(f"== {cell}") and "layers 2" in line and "keep 0.7" in line
                   for line in out.splitlines()), cell
        assert any(line.startswith(f"== {cell}") and "bias False" in line for line in out.splitlines()), cell
    assert "FAIL" not in out


def test_gradcheck_of_one_structure_checks_only_it(capsys):
    code, out, _ = run(capsys, "gradcheck", "--cell", "lstm", "--loss", "bce", "--layers", "3")
    assert code == 0
    assert out.count("== ") == 1 and "layers 3" in out and "over 1 model(s)" in out


def test_gradcheck_fails_when_a_gradient_is_wrong(capsys, monkeypatch):
    backward = RNNCell.backward

    def wrong(self, *args, **kwargs):
        dx, grads, dh_norm = backward(self, *args, **kwargs)
        grads = dict(grads)
        grads["Whh"] = grads["Whh"] * 1.01  # one percent off
        return dx, grads, dh_norm

    monkeypatch.setattr(RNNCell, "backward", wrong)
    code, out, _ = run(capsys, "gradcheck", "--cell", "rnn", "--activation", "tanh", "--loss", "bce")
    assert code == 1
    assert "FAIL" in out and out.strip().splitlines()[-1].startswith("gradient check FAILED")


def test_gradcheck_refuses_bad_sizes(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["gradcheck", "--bits", "40"])
    assert info.value.code == 2 and "--bits from 1 to 16" in capsys.readouterr().err


def test_python_dash_m_engine_runs():
    done = subprocess.run([sys.executable, "-m", "engine", "train", "--steps", "20", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps"] == 20
    bad = subprocess.run([sys.executable, "-m", "engine", "train", "--hidden", "0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr


def test_ctrl_c_stops_cleanly_saves_the_model_and_exits_130(tmp_path):
    path = tmp_path / "m.npz"
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "train", "--hidden", "2", "--batch", "1", "--steps", "10000000",
         "--eval-every", "1000000", "--save", str(path)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # The first progress line would take a million steps: wait instead until the process has
        # used more CPU time than starting up takes, so it is training.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and _cpu_seconds(proc.pid) < 1.5:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130, err
    assert "Traceback" not in err
    match = re.search(r"interrupted at step (\d+); saved the model to (.+)", err)
    assert match, err
    step = int(match[1])
    assert step > 0 and match[2].strip() == str(path)
    model, meta = load_with_meta(path)
    assert meta == {"step": step} and model.config.hidden == 2 and model.config.steps == 10_000_000


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
