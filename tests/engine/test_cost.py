"""The cost estimates and the app's named budgets: what they allow, what they refuse and how they say it."""

from __future__ import annotations

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
