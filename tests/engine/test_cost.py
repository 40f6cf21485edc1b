"""The cost estimates and the app's named budgets: what they allow, what they refuse and how they say it."""

from __future__ import annotations

import numpy as np
import pytest

from engine import cost
from engine.config import PRESETS, Config
from engine.model import SequenceModel


def test_parameters_counts_every_weight_of_the_model():
    for cell in ("rnn", "lstm", "gru"):
        for layers, hidden in ((1, 3), (2, 5)):
            model = SequenceModel(Config(cell=cell, layers=layers, hidden=hidden))
            assert cost.parameters(cell, hidden, layers) == sum(p.size for p in model.params.values()), cell


def test_the_step_cost_grows_with_every_size():
    base = Config()
    for change in ({"hidden": 32}, {"layers": 2}, {"bits": 16}, {"batch": 128}, {"cell": "lstm"}):
        assert cost.step_cost(base.replace(**change)) > cost.step_cost(base), change
    assert cost.step_cost(base.replace(hidden=32)) == pytest.approx(4 * cost.step_cost(base), rel=0.1)


def test_every_preset_and_the_defaults_fit_the_live_budget():
    for config in (Config(), *PRESETS.values()):
        assert cost.live_problem(config) == ""


def test_a_model_too_heavy_for_live_training_gets_the_estimate_and_the_limit():
    heavy = Config(cell="lstm", hidden=512, layers=4, bits=64, batch=4096)
    message = cost.live_problem(heavy)
    assert message.startswith("Too heavy to train live on this page, per step: estimated cost ")
    estimate = f"{round(cost.step_cost(heavy)):,} multiply-adds"
    assert f"{estimate}, limit 500,000,000 (live training budget)" in message
    assert "e+" not in message


def test_the_gradient_check_budget_takes_what_the_page_always_checked_and_refuses_big_models():
    for cell in ("rnn", "lstm", "gru"):
        assert cost.check_problem(Config(cell=cell, layers=4, hidden=8), batch=3, bits=5) == ""
    message = cost.check_problem(Config(hidden=512), batch=3, bits=5)
    assert "gradient-check budget" in message and "limit 150,000,000" in message


# --- operations and rough seconds (what sizes the analyses of large models) -----------------------

def matrix_entries(model: SequenceModel) -> int:
    """Entries of every weight matrix: each is multiplied once per sum and time step."""
    return sum(int(v.size) for v in model.params.values() if np.ndim(v) == 2)


@pytest.mark.parametrize("kw", [dict(cell="rnn"), dict(cell="gru", layers=2),
                                dict(cell="lstm", layers=3, hidden=7)],
                         ids=["rnn", "gru-2", "lstm-3"])
def test_step_flops_count_a_multiply_and_an_add_per_weight_entry(kw):
    cfg = Config(hidden=kw.pop("hidden", 5), **kw)
    model = SequenceModel(cfg)
    k = cost.blocks(cfg.cell)
    elementwise = cost.ELEMENTWISE * k * cfg.hidden * cfg.layers
    assert cost.step_flops(cfg) == 2 * matrix_entries(model) + elementwise


def test_forward_flops_scale_with_sums_and_width():
    cfg = Config(hidden=16, bits=8)
    one = cost.forward_flops(cfg, 1)
    assert cost.forward_flops(cfg, 10) == 10 * one
    assert cost.forward_flops(cfg, 1, bits=16) == 2 * one


def test_a_training_step_costs_a_forward_and_twice_that_backward_per_sum_of_the_batch():
    cfg = Config(hidden=16, batch=32)
    assert cost.train_step_flops(cfg) == 3 * cost.forward_flops(cfg, 32)
    classic = Config(hidden=16, algorithm="classic", batch=1, activation="sigmoid", bias=False,
                     init="uniform", optimizer="sgd", loss="mse")
    assert cost.train_step_flops(classic) == 3 * cost.forward_flops(classic, 1)


def test_bigger_models_are_estimated_slower_and_float32_faster():
    small = Config(hidden=16)
    big = Config(cell="lstm", hidden=512, layers=4, bits=64)
    assert cost.train_step_seconds(big) > 1000 * cost.train_step_seconds(small)
    assert cost.forward_seconds(big, 100) > cost.forward_seconds(small, 100)
    f32 = big.replace(dtype="float32")
    assert cost.sum_seconds(f32) == pytest.approx(cost.sum_seconds(big) / cost.FLOAT32_SPEEDUP)


def test_an_unknown_cell_is_refused_by_name():
    with pytest.raises(ValueError, match="cell must be one of"):
        cost.blocks("transformer")
