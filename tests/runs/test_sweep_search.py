"""Searches: TPE proposes within the ranges, the objective is steps-to-solve, a resumed search
continues from its stored trials."""

import math

import pytest

from engine.config import Config
from runs.search import Range, Search, SearchPlan, make_search, parse_range
from runs.sweep import SweepError
from runs.sweep_point import train_point
from runs.sweep_runner import create_sweep
from runs.sweep_store import SweepStore

TINY = Config(bits=4, hidden=3, steps=60, eval_every=10, batch=16)


def drive(plan, sink, n):
    """Train ``n`` points of ``plan`` one at a time in this process, as the coordinator would."""
    points = []
    for _ in range(n):
        got = plan.next_points(1)
        if not got:
            break
        (p,) = got
        result = train_point(p.config, stop_when_solved=True)
        sink.finish_point(p.run_id, result)
        plan.finished(p, result)
        points.append(p)
    return points


def test_search_proposes_within_its_ranges(tmp_path):
    search = make_search(TINY, {"lr": "0.001:0.3:log", "hidden": "2:6", "cell": "rnn,gru",
                                "keep_prob": "0.5:1"}, trials=24, sampler_seed=3)
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(search, sink)
    plan = SearchPlan(search, sweep_id, sink)
    points = drive(plan, sink, 30)
    assert len(points) == 24  # the trial count, and no more
    for p in points:
        c = p.config
        assert 0.001 <= c.lr <= 0.3 and isinstance(c.lr, float)
        assert 2 <= c.hidden <= 6 and isinstance(c.hidden, int)
        assert c.cell in ("rnn", "gru") and 0.5 <= c.keep_prob <= 1
        assert c.replace(lr=TINY.lr, hidden=TINY.hidden, cell=TINY.cell, keep_prob=TINY.keep_prob) == TINY
    assert len({p.config.lr for p in points}) == 24  # proposals, not one point again and again
    assert {p.config.cell for p in points} == {"rnn", "gru"}
    assert len(plan.study.trials) == 24 and all(t.value is not None for t in plan.study.trials)


def test_the_objective_is_steps_to_solve_with_failures_at_the_budget():
    solved = train_point(Config(bits=4, steps=400, eval_every=10, lr=0.1))
    unsolved = train_point(Config(bits=8, hidden=2, steps=10, eval_every=5))
    diverged = train_point(Config(bits=4, steps=300, lr=90.0, optimizer="sgd", eval_every=5))
    search = Search(Config(steps=500), (Range("lr", 0.01, 0.1),), trials=1)
    assert solved.state == "solved" and search.objective(solved) == solved.solved_at_step < 500
    assert unsolved.state == "finished" and search.objective(unsolved) == 500
    assert diverged.state == "diverged" and search.objective(diverged) == 500


def test_a_resumed_search_replays_its_trials_and_asks_only_for_the_rest(tmp_path):
    search = make_search(TINY, {"lr": "0.01:0.3:log", "hidden": "2:5"}, trials=7)
    sink = SweepStore(tmp_path)
    sweep_id = create_sweep(search, sink)
    first = drive(SearchPlan(search, sweep_id, sink), sink, 4)
    sink.add_points(sweep_id, [TINY.replace(lr=0.05, hidden=3)])  # a point added, then the coordinator died
    again = SearchPlan(search, sweep_id, sink)
    assert [t.params for t in again.study.trials] == [{"lr": p.config.lr, "hidden": p.config.hidden}
                                                       for p in first]
    rest = drive(again, sink, 10)
    assert rest[0].config == TINY.replace(lr=0.05, hidden=3)  # the unfinished point trains first
    assert len(rest) == 3 and len(sink.points(sweep_id)) == 7
    assert all(p.result is not None for p in sink.points(sweep_id))


@pytest.mark.parametrize("name, text, says", [
    ("lr", "0.3:0.01", "low end must be below the high end"),
    ("clip", "0:5:log", "must start above 0"),
    ("lr", "0.01:0.1:ln", "low:high, low:high:log or low:high:linear"),
    ("cell", "rnn:gru", "takes a list of choices"),
    ("hidden", "2:600", r"\(hidden\): '600' is not allowed; it takes a whole number from 1 to 512"),
])
def test_bad_ranges_are_refused_with_what_is_allowed(name, text, says):
    with pytest.raises(SweepError, match=says):
        parse_range(name, text)


def test_a_search_needs_something_to_vary_and_at_most_the_limit_of_trials():
    with pytest.raises(SweepError, match="at least one setting to vary"):
        make_search(TINY, {"steps": "100"}, trials=5)
    with pytest.raises(SweepError, match="makes 1,001 runs"):
        make_search(TINY, {"lr": "0.01:0.1"}, trials=1001)


def test_ranges_match_optuna_distributions():
    log = parse_range("lr", "0.001:0.3:log").distribution()
    assert (log.low, log.high, log.log) == (0.001, 0.3, True)
    whole = parse_range("hidden", "4:32").distribution()
    assert (whole.low, whole.high, whole.log) == (4, 32, False) and type(whole).__name__ == "IntDistribution"
    assert parse_range("cell", "rnn,lstm").distribution().choices == ("rnn", "lstm")
    assert math.isclose(parse_range("clip", "0:5").high, 5.0)
    assert parse_range("lr", "0.001:0.3").log  # the schema's scale for the learning rate
    assert not parse_range("lr", "0.001:0.3:linear").log
