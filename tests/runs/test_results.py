"""A sweep's results: rows, the summary over two settings, loss curves and the Optuna study."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import Config
from runs.results import curves, grid_summary, result_rows, study_of
from runs.search import Range, Search
from runs.sweep import Grid, Point
from runs.sweep_point import PointResult

BASE = Config(steps=1000)


def point(run_id, state="solved", solved=None, **settings):
    """A point with a result: solved at ``solved`` (None: unsolved), or no result when queued."""
    config = BASE.replace(**settings)
    if state == "queued":
        return Point(run_id, config, state)
    steps = solved if solved is not None else config.steps
    return Point(run_id, config, state, PointResult(state, steps, solved, 0.5, 0.9, 1.5))


def test_rows_count_unsolved_diverged_and_failed_runs_as_the_budget():
    points = [point("a", "solved", 120, lr=0.1), point("b", "finished", lr=0.2),
              point("c", "diverged", lr=0.3), point("d", "queued", lr=0.4)]
    rows = result_rows(points, ["lr"])
    assert [r["lr"] for r in rows] == [0.1, 0.2, 0.3, 0.4]
    assert [r["steps_to_solve"] for r in rows] == [120, 1000, 1000, None]
    assert [r["solved"] for r in rows] == [True, False, False, None]
    assert rows[3]["state"] == "queued" and rows[3]["final_loss"] is None


def test_summary_gives_median_steps_and_success_rate_per_pair_of_settings():
    points = [point("1", "solved", 100, hidden=8, lr=0.1),
              point("2", "solved", 300, hidden=8, lr=0.1, seed=1),
              point("3", "finished", hidden=8, lr=0.1, seed=2),
              point("4", "solved", 50, hidden=16, lr=0.1), point("5", "solved", 70, hidden=8, lr=0.01),
              point("6", "queued", hidden=16, lr=0.01)]
    s = grid_summary(result_rows(points, ["hidden", "lr", "seed"]), "hidden", "lr")
    assert s["x"] == [8, 16] and s["y"] == [0.01, 0.1]
    # rows: lr 0.01, 0.1; columns: hidden 8, 16
    np.testing.assert_array_equal(s["median_steps"], [[70, np.nan], [300, 50]])
    np.testing.assert_allclose(s["success"], [[1.0, np.nan], [2 / 3, 1.0]])
    np.testing.assert_array_equal(s["count"], [[1, 0], [3, 1]])


def test_summary_over_one_setting_is_one_row():
    points = [point("1", "solved", 100, hidden=8), point("2", "finished", hidden=16)]
    s = grid_summary(result_rows(points, ["hidden"]), "hidden")
    assert s["y"] == [None]
    np.testing.assert_array_equal(s["median_steps"], [[100, 1000]])
    np.testing.assert_array_equal(s["success"], [[1.0, 0.0]])


def test_curves_take_each_finished_runs_loss_with_its_setting():
    points = [point("a", "solved", 3, cell="gru"), point("b", "queued", cell="rnn")]
    histories = {"a": {"train": {"step": np.array([1.0, 2, 3]), "loss": np.array([0.7, 0.5, 0.2])}}}
    ((run, value, step, loss),) = curves(points, "cell", histories.__getitem__)
    assert (run, value) == ("a", "gru")
    np.testing.assert_array_equal(step, [1, 2, 3])
    np.testing.assert_array_equal(loss, [0.7, 0.5, 0.2])


def test_study_holds_finished_points_as_trials_of_the_search():
    pytest.importorskip("optuna")
    search = Search(BASE, (Range("lr", 0.001, 0.3, log=True), Range("cell", choices=("rnn", "gru"))), 4)
    points = [point("a", "solved", 200, lr=0.01, cell="gru"), point("b", "finished", lr=0.2, cell="rnn"),
              point("c", "queued", lr=0.05)]
    study = study_of(search, points)
    assert [(t.params, t.value) for t in study.trials] == [({"lr": 0.01, "cell": "gru"}, 200),
                                                           ({"lr": 0.2, "cell": "rnn"}, 1000)]


def test_study_of_a_grid_uses_its_axes_and_is_none_before_any_result():
    pytest.importorskip("optuna")
    grid = Grid(BASE, (("hidden", (8, 16)),), (0,))
    assert study_of(grid, [point("a", "queued", hidden=8)]) is None
    study = study_of(grid, [point("a", "solved", 80, hidden=16)])
    assert [(t.params, t.value) for t in study.trials] == [({"hidden": 16}, 80)]
