"""Analyses on a time budget: small models are looked at whole, large ones on a sample that fits."""

import pytest

from engine import cost
from engine.analysis.budget import plan_length, sums_within, thin
from engine.analysis.carry import carry_analysis
from engine.analysis.explain import wrong_sums
from engine.config import Config
from engine.data import eval_set
from engine.model import SequenceModel

HEAVY = Config(cell="lstm", hidden=512, layers=4, bits=64, dtype="float32")  # ~10^9 operations per sum


def test_a_small_model_gets_every_sum():
    s = sums_within(Config(), 16384, seconds=2.0)
    assert s.sums == 16384 and not s.sampled and s.estimate <= 2.0


def test_a_heavy_model_gets_as_many_sums_as_fit_the_budget():
    s = sums_within(HEAVY, 16384, seconds=3.0)
    assert s.sampled and 1 <= s.sums < 100
    assert s.estimate <= 3.0 < s.estimate + cost.sum_seconds(HEAVY)  # one more would not fit


def test_backward_passes_cost_three_forward_passes():
    fwd = sums_within(HEAVY, 16384, seconds=30.0)
    both = sums_within(HEAVY, 16384, seconds=30.0, backward=True)
    assert both.sums == pytest.approx(fwd.sums / 3, abs=1)


def test_the_floor_wins_over_the_budget_but_never_exceeds_what_is_wanted():
    assert sums_within(HEAVY, 16384, seconds=0.0, floor=4).sums == 4
    assert sums_within(HEAVY, 3, seconds=0.0, floor=4).sums == 3


def test_thinning_keeps_the_ends_and_spreads_the_rest():
    ws = list(range(8, 65))
    assert thin(ws, 5) == (8, 22, 36, 50, 64)
    assert thin(ws, 100) == tuple(ws)
    assert thin([64], 1) == (64,)


def test_a_length_plan_for_a_heavy_model_leaves_widths_out_and_fits_the_budget():
    cfg = HEAVY.replace(bits=8)
    ws = list(range(8, 65))
    plan = plan_length(cfg, ws, wanted=1000, seconds=4.0)
    assert plan.thinned and plan.widths[0] == 8 and plan.widths[-1] == 64
    assert plan.sample.sampled and plan.sample.estimate <= 4.0
    small = plan_length(Config(), ws, wanted=1000, seconds=4.0)
    assert small.widths == tuple(ws) and small.sample.sums == 1000


def test_carry_analysis_on_a_budget_reports_its_sample():
    model = SequenceModel(Config(cell="gru", hidden=64, bits=16))
    rep = carry_analysis(model, seconds=0.05)
    assert rep.sample.sampled and rep.sample.sums >= 4
    assert rep.n_states == rep.sample.sums * 16
    assert carry_analysis(model, eval_set(4)).sample is None  # no budget given: as before


def test_wrong_sums_can_look_at_a_sample():
    model = SequenceModel(Config(hidden=3, bits=6, seed=3))
    batch = eval_set(6)
    some = wrong_sums(model, batch, limit=1000, max_pairs=50)
    every = wrong_sums(model, batch, limit=10_000)
    assert 0 < len(some) <= 50 and set(some) <= set(every)
    heavy = SequenceModel(Config(cell="gru", hidden=64, bits=16))
    assert len(wrong_sums(heavy, eval_set(16), limit=10_000, seconds=0.01)) < 100  # of 16,384
