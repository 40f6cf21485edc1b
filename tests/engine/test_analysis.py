"""Carry analyses, the one-step explanation and length generalisation, on models with known answers."""

from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine import Config, SequenceModel, Trainer
from engine.activations import sigmoid
from engine.analysis.carry import (
    carry_analysis,
    carry_correlation,
    correlate,
    fingerprint,
    pca_projection,
    truth_table,
)
from engine.analysis.explain import (
    explain_step,
    hard_cases,
    parse_operand,
    random_pair,
    unroll_sum,
    wrong_sums,
)
from engine.analysis.generalise import default_widths, length_generalisation
from engine.analysis.probe import ProbeTracker, carry_probe, fit_logistic, fit_probe, split_pairs
from engine.analysis.states import collect_states, finite
from engine.data import eval_set, make_batch


@pytest.fixture(scope="module")
def solved():
    """The default 8-bit model trained until every evaluation sum is right (~150 steps)."""
    t = Trainer(Config(seed=0))
    while t.solved_at_step is None and not t.done:
        t.advance(10)
    assert t.solved_at_step is not None, "the default config should solve 8-bit addition"
    return t.model


@pytest.fixture(scope="module")
def solved_states(solved):
    return collect_states(solved, eval_set(8))


@pytest.fixture(scope="module")
def report(solved):
    return carry_analysis(solved)


def fresh(**kw):
    return SequenceModel(Config(**kw))


# --- states ---------------------------------------------------------------


def test_states_line_up_with_the_trace_time_major(solved):
    batch = make_batch([5, 100, 127], [3, 27, 1], 8)
    s = collect_states(solved, batch)
    tr = solved.forward(batch.x)
    assert s.h.shape == (3 * 8, 16)
    row = 2 * 3 + 1  # step 2 of sum 1
    assert (s.step[row], s.pair[row]) == (2, 1)
    assert_array_equal(s.h[row], tr.h[2, 1])
    assert s.carry_out[row] == batch.carry_out[1, 2]
    assert s.prob[row] == tr.p[2, 1, 0]


def test_states_subsample_keeps_at_most_max_pairs(solved):
    s = collect_states(solved, eval_set(8), max_pairs=100)
    assert len(s) == 100 * 8
    assert len(np.unique(s.pair)) == 100


def test_states_refuse_an_unknown_key_or_layer(solved):
    batch = make_batch([1], [2], 8)
    with pytest.raises(ValueError, match="has no 'c'"):
        collect_states(solved, batch, key="c")
    with pytest.raises(ValueError, match="layer must be"):
        collect_states(solved, batch, layer=3)


# --- correlation ----------------------------------------------------------


def test_correlation_of_a_planted_unit_equal_to_the_carry_is_one():
    rng = np.random.default_rng(0)
    carry = rng.integers(0, 2, 500)
    h = rng.normal(size=(500, 4))
    h[:, 2] = carry
    h[:, 3] = 0.7 - 0.5 * carry
    r = correlate(h, carry)
    assert_allclose(r[2], 1.0, rtol=0, atol=1e-12)
    assert_allclose(r[3], -1.0, rtol=0, atol=1e-12)
    assert np.all(np.abs(r[:2]) < 0.2)


def test_constant_units_and_a_constant_carry_give_zero_not_nan():
    carry = np.array([0, 1, 0, 1, 1, 0])
    h = np.column_stack([np.full(6, 0.3), np.zeros(6), carry * 2.0])
    assert_array_equal(correlate(h, carry), [0.0, 0.0, 1.0])
    assert_array_equal(correlate(h, np.ones(6)), [0.0, 0.0, 0.0])
    h_nan = h.copy()
    h_nan[0, 0] = np.nan
    assert np.isfinite(correlate(h_nan, carry)).all()


def test_finite_counts_nan_and_infinities_as_zero_and_copies_only_then():
    h = np.array([[0.5, -1.0], [2.0, 3.0]])
    assert finite(h) is h  # all finite: the same array, no copy
    bad = np.array([[np.nan, 1.0], [np.inf, -np.inf]])
    out = finite(bad)
    assert_array_equal(out, [[0.0, 1.0], [0.0, 0.0]])
    assert np.isnan(bad[0, 0]) and np.isinf(bad[1, 0])  # the input is left as it was


def test_analyses_of_states_with_infinities_stay_finite(solved):
    states = collect_states(solved, eval_set(4))
    h = states.h.copy()
    h[::7, 0] = np.inf  # a unit that overflowed (an unbounded activation) at some positions
    h[::11, 1] = -np.inf
    blown = replace(states, h=h)
    assert np.isfinite(correlate(blown.h, blown.carry_out)).all()
    probe = fit_probe(blown)
    assert np.isfinite(probe.w).all() and 0.0 <= probe.test_acc <= 1.0
    proj = pca_projection(blown)
    assert np.isfinite(proj.points).all() and np.isfinite(proj.project(h[:5])).all()


def test_ranking_puts_the_strongest_unit_first_by_absolute_correlation(solved_states):
    c = carry_correlation(solved_states)
    assert sorted(c.ranking.tolist()) == list(range(16))
    mags = np.abs(c.r[c.ranking])
    assert np.all(np.diff(mags) <= 0)
    assert c.best == c.ranking[0]
    assert abs(c.r[c.best]) > 0.7, "a solved adder has a unit that tracks the carry"
    assert c.best in c.strong(min_abs=0.5)


# --- probe ----------------------------------------------------------------


def test_probe_reads_the_carry_from_a_trained_8bit_model(report):
    assert report.probe.test_acc > 0.95
    assert report.probe.n_test > 10_000
    assert report.probe.w.shape == (16,)
    # the current bits alone cannot tell the carry when exactly one of them is 1
    assert report.probe.baseline_acc < 0.9 < report.probe.test_acc


def test_probe_is_deterministic(solved):
    p1 = carry_probe(solved, max_pairs=500)
    p2 = carry_probe(solved, max_pairs=500)
    assert_array_equal(p1.w, p2.w)
    assert p1.test_acc == p2.test_acc


def test_probe_holds_out_whole_sums():
    pair = np.tile(np.arange(10), 8)
    train, test = split_pairs(pair, 0.5, seed=0)
    assert not set(pair[train]) & set(pair[test])
    assert len(set(pair[test])) == 5


def test_logistic_fit_finds_a_separating_line():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3))
    y = (X @ np.array([2.0, -1.0, 0.0]) + 0.3 > 0).astype(float)
    w = fit_logistic(X, y)
    assert np.mean((X @ w[:-1] + w[-1] > 0) == (y > 0)) > 0.98
    assert np.isfinite(w).all()


def test_probe_weights_read_raw_hidden_states(solved, solved_states):
    p = fit_probe(solved_states)
    assert np.mean(p.predict(solved_states.h) == solved_states.carry_out) > 0.95


def test_probe_tracker_records_one_point_per_new_step_and_restarts_on_reset():
    t = Trainer(Config(seed=0))
    tracker = ProbeTracker(pairs=128)
    first = tracker.update(t.model, t.step)
    t.advance(200)
    tracker.update(t.model, t.step)
    tracker.update(t.model, t.step)  # same step: no new point
    assert_array_equal(tracker.steps, [0, 200])
    assert tracker.accuracy.shape == (2,)
    assert tracker.accuracy[-1] > 0.95
    assert 0.0 <= first <= 1.0
    tracker.update(Trainer(Config(seed=0)).model, 0)  # a reset run starts a new series
    assert_array_equal(tracker.steps, [0])
    tracker.update(fresh(bits=6), 0)
    assert len(tracker) == 1


# --- truth table ----------------------------------------------------------


def test_truth_table_has_eight_rows_and_the_trained_model_adds(report):
    rows = report.truth
    assert len(rows) == 8
    assert {(r["a"], r["b"], r["carry_in"]) for r in rows} == {
        (a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)}
    for r in rows:
        assert r["count"] > 0
        assert r["pred_bit"] == r["a"] ^ r["b"] ^ r["carry_in"], r
        assert r["bit_acc"] == 1.0
        assert r["probe_carry"] == int(r["a"] + r["b"] + r["carry_in"] >= 2), r


def test_truth_table_marks_missing_combinations_as_none(solved):
    s = collect_states(solved, make_batch([0], [0], 4))
    rows = truth_table(s)
    assert rows[0]["count"] == 4 and rows[0]["pred_bit"] == 0
    assert all(r["count"] == 0 and r["pred_bit"] is None for r in rows[1:])
    assert "probe_carry" not in rows[0]


# --- projection -----------------------------------------------------------


def test_pca_shapes_and_explained_variance(report):
    pr = report.projection
    assert pr.points.shape == (3000, 2)
    assert pr.carry.shape == pr.step.shape == pr.pair.shape == (3000,)
    assert pr.components.shape == (2, 16)
    assert pr.explained.shape == (2,)
    assert pr.explained[0] >= pr.explained[1] > 0
    assert pr.explained.sum() <= 1.0
    assert set(np.unique(pr.carry)) == {0, 1}


def test_pca_projects_new_states_like_the_drawn_ones(solved_states):
    pr = pca_projection(solved_states, max_points=50)
    rows = np.flatnonzero((solved_states.pair == pr.pair[0]) & (solved_states.step == pr.step[0]))
    assert_allclose(pr.project(solved_states.h[rows[0]]), pr.points[0], atol=1e-12)


def test_pca_with_one_unit_pads_the_second_component(solved):
    s = collect_states(fresh(hidden=1), make_batch([3, 9], [4, 1], 4))
    pr = pca_projection(s)
    assert pr.points.shape == (8, 2)
    assert_array_equal(pr.points[:, 1], 0.0)
    assert pr.explained[1] == 0.0


def test_fingerprint_changes_with_the_weights():
    m = fresh()
    before = fingerprint(m)
    assert fingerprint(m.copy()) == before
    m.params["Why"][0, 0] += 1e-9
    assert fingerprint(m) != before


# --- length generalisation ------------------------------------------------


def test_length_generalisation_gives_one_value_per_width_8_to_64(solved):
    curve = length_generalisation(solved, max_pairs=200)
    assert_array_equal(curve.widths, np.arange(8, 65))
    assert curve.exact_acc.shape == curve.bit_acc.shape == (57,)
    assert curve.exact_acc[0] == 1.0
    assert np.all((0 <= curve.exact_acc) & (curve.exact_acc <= 1))
    assert curve.train_bits == 8


def test_length_generalisation_is_repeatable_and_checks_widths(solved):
    a = length_generalisation(solved, widths=[8, 16, 40], max_pairs=100)
    b = length_generalisation(solved, widths=[8, 16, 40], max_pairs=100)
    assert_array_equal(a.exact_acc, b.exact_acc)
    with pytest.raises(ValueError):
        length_generalisation(solved, widths=[65])


def test_default_width_grid_runs_from_the_training_width_to_64():
    assert default_widths(8) == [8, 9, 10, 11, 12, 13, 14, 15, 16, 20, 24, 28, 32, 40, 48, 56, 64]
    assert default_widths(13)[0] == 13 and default_widths(64) == [64]


def test_a_budgeted_length_curve_samples_wide_models_and_says_so():
    small = length_generalisation(fresh(), default_widths(8), max_pairs=None)
    assert not small.plan.sample.sampled and not small.plan.thinned
    assert small.pairs.tolist() == [1000] * len(default_widths(8))
    wide = fresh(hidden=256)
    curve = length_generalisation(wide, default_widths(8), max_pairs=None, seconds=0.5)
    assert curve.plan.sample.sampled and curve.pairs[0] == curve.plan.sample.sums < 1000
    assert curve.widths.tolist() == list(curve.plan.widths)


def test_a_diverged_model_scores_zero_instead_of_raising():
    m = fresh()
    m.params["Why"][:] = np.nan
    curve = length_generalisation(m, widths=[8], max_pairs=50)
    assert curve.exact_acc[0] == 0.0
    rep = carry_analysis(m, eval_set(4))
    assert np.isfinite(rep.correlation.r).all()


# --- one sum, one step ----------------------------------------------------


def test_explain_step_numbers_recombine_exactly(solved):
    u = unroll_sum(solved, 127, 1, 8)
    p = solved.params
    for t in range(8):
        e = explain_step(solved, u.batch, t, 0, trace=u.trace)
        L = e.layers[0].now
        assert_array_equal(L.rec, L.pre - L.xin)  # the table's columns add up
        assert_array_equal(sigmoid(L.pre), L.h)
        assert_allclose(L.xin, e.x @ p["L1.Wxh"] + p["L1.bh"], rtol=1e-12)
        assert_allclose(L.rec, e.layers[0].h_prev @ p["L1.Whh"], rtol=1e-12, atol=1e-15)
        r = e.readout
        assert_allclose(r["z"], r["contrib"].sum() + r["by"], rtol=1e-12)
        assert_allclose(r["p"], sigmoid(np.float64(r["z"])), rtol=1e-12)
        assert r["p"] == u.trace.p[t, 0, 0]
        assert r["bit"] == u.pred[t]
        assert e.truth["carry_in"] == u.carry_in[t]
    assert_array_equal(explain_step(solved, u.batch, 0).layers[0].h_prev, 0.0)


def test_explain_step_runs_only_the_chosen_sum_when_no_trace_is_given(solved):
    batch = make_batch([3, 77, 12], [9, 50, 12], 8)
    alone = explain_step(solved, batch.x, 5, index=1)
    assert alone.truth is None
    with_trace = explain_step(solved, batch, 5, index=1, trace=solved.forward(batch.x))
    assert_allclose(alone.readout["p"], with_trace.readout["p"], rtol=1e-12)
    with pytest.raises(ValueError, match="time step"):
        explain_step(solved, batch, 8)
    with pytest.raises(ValueError, match="sum index"):
        explain_step(solved, batch, 0, index=3)


def test_explain_step_feeds_each_layer_the_one_below():
    m = fresh(layers=2, hidden=5)
    batch = make_batch([6], [7], 4)
    e = explain_step(m, batch, 2)
    assert len(e.layers) == 2
    assert_array_equal(e.layers[1].input, e.layers[0].now.h)
    assert_array_equal(e.layers[0].input, e.x)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_explain_step_and_analyses_work_for_gated_cells(cell):
    m = fresh(cell=cell, hidden=6)
    batch = make_batch([11, 100], [20, 3], 8)
    tr = m.forward(batch.x)
    e = explain_step(m, batch, 3, index=1, trace=tr)
    step, L = e.layers[0], e.layers[0].now
    assert type(L) is type(tr.layers[0])
    for k in L.names():
        assert_array_equal(getattr(L, k), getattr(tr.layers[0], k)[3, 1], err_msg=k)
    assert_array_equal(step.h_prev, tr.layers[0].h[2, 1])
    assert e.readout["p"] == tr.p[3, 1, 0]
    if cell == "lstm":  # the numbers shown recombine into the next state
        assert_array_equal(step.c_prev, tr.layers[0].c[2, 1])
        assert_allclose(L.c, L.f * step.c_prev + L.i * L.g, rtol=1e-12)
        assert_allclose(L.h, L.o * np.tanh(L.c), rtol=1e-12)
    else:
        assert step.c_prev is None
        assert_allclose(L.h, (1 - L.z) * L.n + L.z * step.h_prev, rtol=1e-12, atol=1e-15)
    alone = explain_step(m, batch, 3, index=1)  # runs only that sum
    assert_allclose(alone.readout["p"], e.readout["p"], rtol=1e-12)
    rep = carry_analysis(m, eval_set(6))
    assert rep.correlation.r.shape == (6,) and len(rep.truth) == 8
    u = unroll_sum(m, 5, 6, 16)
    assert u.layers[0].h.shape == (6, 16)


def test_unroll_sum_lines_up_the_columns(solved):
    u = unroll_sum(solved, 0b0111_1111, 0b0000_0001, 8)
    assert_array_equal(u.carry_in, [0, 1, 1, 1, 1, 1, 1, 1])
    assert_array_equal(u.carry_out, [1, 1, 1, 1, 1, 1, 1, 0])
    assert_array_equal(u.sum_bits, [0, 0, 0, 0, 0, 0, 0, 1])
    assert u.layers[0].h.shape == (16, 8)
    assert u.correct and u.predicted == u.true_sum == 128
    assert_array_equal(u.wrong, u.pred != u.sum_bits)


def test_unroll_sum_works_on_wider_sums_and_refuses_sums_that_do_not_fit(solved):
    u = unroll_sum(solved, 2**31 - 1, 1, 32)
    assert u.prob.shape == (32,) and u.true_sum == 2**31
    with pytest.raises(ValueError, match="does not fit in 8 bits"):
        unroll_sum(solved, 200, 100, 8)


def test_wrong_sums_lists_what_an_untrained_model_gets_wrong(solved):
    batch = make_batch([1, 2, 3], [1, 2, 3], 4)
    assert wrong_sums(solved, batch) == []
    assert len(wrong_sums(fresh(seed=3), eval_set(4), limit=5)) == 5


# --- choosing a sum -------------------------------------------------------


@pytest.mark.parametrize("text,value", [("77", 77), (" 0b0111 1111 ", 127), ("1_000", 1000), ("0", 0)])
def test_parse_operand_reads_decimal_and_binary(text, value):
    assert parse_operand(text, 16) == value


@pytest.mark.parametrize("text,message", [
    ("300", "does not fit in 8 bits"), ("", "empty"), ("-3", "negative"), ("12a", "not a whole number"),
    ("0b2", "not a whole number"), ("1" * 100, "too long"),
])
def test_parse_operand_says_what_is_allowed(text, message):
    with pytest.raises(ValueError, match=message):
        parse_operand(text, 8)


@pytest.mark.parametrize("bits", [1, 2, 3, 8, 16, 32, 64])
def test_hard_cases_all_fit_the_width(bits):
    cases = hard_cases(bits)
    assert cases
    assert len({(c["a"], c["b"]) for c in cases}) == len(cases)
    for c in cases:
        make_batch([c["a"]], [c["b"]], bits)  # raises if it did not fit


def test_hard_cases_include_the_longest_carry_chain():
    assert {"label": "carry ripples through every bit", "a": 127, "b": 1} in hard_cases(8)


def test_random_pair_comes_from_the_training_range():
    a, b = random_pair(np.random.default_rng(0), 8)
    assert 0 <= a < 128 and 0 <= b < 128
