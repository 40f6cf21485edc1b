"""Analyses on a time budget: small models are looked at whole, large ones on a sample that fits."""

import time

import numpy as np
import pytest

from engine import cost
from engine.analysis.budget import plan_length, sums_within, thin
from engine.analysis.carry import carry_analysis
from engine.analysis.explain import wrong_sums
from engine.analysis.generalise import length_generalisation
from engine.analysis.states import forward_chunks
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


# --- the deadline: a machine slower than the estimate still stops in time ------------------------

def test_a_pass_past_its_deadline_stops_after_the_first_of_sixteen_chunks():
    model = SequenceModel(Config(hidden=4, bits=6))
    x = eval_set(6).x[:100]
    (p,) = forward_chunks(model, x, lambda tr: (tr.p[..., 0],), deadline=time.perf_counter() - 1)
    assert p.shape == (6, 7)  # ceil(100 / 16) sums
    (whole,) = forward_chunks(model, x, lambda tr: (tr.p[..., 0],), deadline=time.perf_counter() + 600)
    assert whole.shape == (6, 100)
    np.testing.assert_array_equal(whole[:, :7], p)


def test_analyses_whose_time_is_up_report_what_they_did(monkeypatch):
    monkeypatch.setattr(cost, "FLOPS_PER_SECOND", 1e30)  # the estimate says everything fits at once
    monkeypatch.setattr(cost, "CALL_SECONDS", 0.0)
    model = SequenceModel(Config(cell="gru", hidden=8, bits=10))
    rep = carry_analysis(model, seconds=1e-9)  # ... but the time is up before the first pass ends
    assert rep.n_states == rep.sample.sums * 10 and rep.sample.sums < rep.sample.wanted
    curve = length_generalisation(model, [10, 12, 16, 24, 64], max_pairs=None, seconds=1e-9)
    assert curve.widths.tolist() == [10, 64]  # the ends are always measured
    assert not curve.plan.sample.sampled and not curve.plan.thinned  # the plan was for everything
    assert curve.cut_short and curve.sampled and curve.thinned and curve.pairs.tolist() == [63, 63]
    some = wrong_sums(model, eval_set(10), limit=10_000, seconds=1e-9)
    assert len(some) <= 16384 // 16
