"""Grids: every combination times seeds, values checked as the engine checks them, and the run limit."""

import itertools
import json

import pytest

from engine.config import Config
from runs.__main__ import main as runs_main
from runs.sweep import MAX_RUNS, Grid, SweepError, make_grid, parse_values
from runs.sweep_store import SweepStore

BASE = Config(steps=50, bits=4)


def test_grid_is_every_combination_times_seeds():
    grid = make_grid(BASE, {"lr": "0.01,0.1", "hidden": "8,16", "cell": "rnn,gru"}, seeds=3)
    configs = grid.configs()
    assert grid.count == len(configs) == 2 * 2 * 2 * 3
    got = {(c.lr, c.hidden, c.cell, c.seed) for c in configs}
    assert got == set(itertools.product((0.01, 0.1), (8, 16), ("rnn", "gru"), (0, 1, 2)))
    for c in configs:  # everything the grid does not vary is the base's
        assert c.replace(lr=BASE.lr, hidden=BASE.hidden, cell=BASE.cell, seed=BASE.seed) == BASE


def test_seeds_follow_the_base_seed():
    grid = make_grid(BASE.replace(seed=7), {"hidden": "4,8"}, seeds=2)
    assert [(c.hidden, c.seed) for c in grid.configs()] == [(4, 7), (4, 8), (8, 7), (8, 8)]


def test_a_setting_with_one_value_is_part_of_the_base():
    grid = make_grid(BASE, {"steps": "77", "lr": "0.01,0.02"})
    assert grid.axes == (("lr", (0.01, 0.02)),)
    assert all(c.steps == 77 for c in grid.configs())


def test_values_take_the_settings_types():
    assert parse_values("lr", "0.01, 1e-3") == (0.01, 0.001)
    assert parse_values("hidden", "8,16") == (8, 16)
    assert parse_values("bias", "true,no") == (True, False)
    assert parse_values("optimizer", "sgd,adam") == ("sgd", "adam")


@pytest.mark.parametrize("name, text, says", [
    ("hidden", "8,x", r"--hidden: Hidden units \(hidden\): 'x' is not allowed; it takes a whole number"),
    ("hidden", "0,8", "'0' is not allowed; it takes a whole number from 1 to 512"),
    ("cell", "rnn,transformer", "'transformer' is not allowed; it takes one of rnn, lstm, gru"),
    ("lr", "0.1,,0.2", "comma-separated list"),
    ("lr", "0.1,0.1", "listed twice"),
    ("keep_prob", "0", "--keep-prob: .* it takes a number from 0.05 to 1"),
    ("algorithm", "classic", "not a setting a sweep can vary"),
])
def test_bad_values_are_refused_with_what_is_allowed(name, text, says):
    with pytest.raises(SweepError, match=says):
        parse_values(name, text)


def test_a_grid_over_the_limit_is_refused_before_it_is_expanded():
    values = {"hidden": ",".join(str(h) for h in range(1, 101)), "lr": "0.01,0.02,0.03,0.04,0.05"}
    with pytest.raises(SweepError, match=r"makes 1,500 runs, more than the limit of 1,000"):
        make_grid(BASE, values, seeds=3)
    grid = Grid(BASE, (("hidden", tuple(range(1, 501))),), (0, 1, 2))  # built directly: still refused
    with pytest.raises(SweepError, match="1,500 runs"):
        grid.configs()


def test_a_grid_at_the_limit_is_allowed():
    values = {"hidden": ",".join(str(h) for h in range(1, 101)), "lr": "0.01,0.02,0.03,0.04,0.05"}
    grid = make_grid(BASE, values, seeds=2)
    assert grid.count == MAX_RUNS and len(grid.configs()) == MAX_RUNS


def test_grid_survives_a_round_trip_through_json():
    grid = make_grid(BASE, {"lr": "0.01,0.1", "bias": "true,false"}, seeds=2, stop_when_solved=False)
    assert Grid.from_dict(json.loads(json.dumps(grid.to_dict()))) == grid


def test_cli_says_the_count_without_training(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    argv = ["sweep", "--lr", "0.01,0.1", "--hidden", "8,16,32", "--seeds", "4", "--count"]
    assert runs_main(argv) == 0
    assert capsys.readouterr().out.strip() == "3 hidden x 2 lr x 4 seed(s) = 24 runs"
    assert SweepStore(tmp_path).sweeps() == []


@pytest.mark.parametrize("argv, says", [
    (["--hidden", "1,2,3,4,5,6,7,8,9,10,11", "--lr", "1,2,3,4,5,6,7,8,9,10", "--seeds", "10"],
     "makes 1,100 runs, more than the limit of 1,000"),
    (["--lr", "0.01:0.1"], "a range low:high is for a search"),
    (["--cell", "rnn,cnn"], "'cnn' is not allowed; it takes one of rnn, lstm, gru"),
    (["--seeds", "0"], "--seeds must be a whole number of at least 1"),
    (["--resume", "5", "--lr", "0.1,0.2"], "give no settings with it"),
    (["--resume", "5"], "there is no sweep 5"),
])
def test_cli_refuses_bad_sweeps_with_a_message(capsys, tmp_path, monkeypatch, argv, says):
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    with pytest.raises(SystemExit) as e:
        runs_main(["sweep", *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
