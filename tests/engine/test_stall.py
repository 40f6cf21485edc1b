"""Stalled runs: dead hidden units or a loss stuck at chance end a run with a reason and a suggestion;
slow but healthy runs are left alone."""

import math

import numpy as np
import pytest

from engine import stall
from engine.config import Config
from engine.data import eval_set
from engine.model import SequenceModel
from engine.train import STALLED, Trainer

DYING = Config(activation="relu", lr=1.0, steps=1500)  # every ReLU unit dies within the first evaluations


def test_a_relu_network_that_dies_ends_stalled_with_a_suggestion():
    tr = Trainer(DYING)
    tr.run()
    assert tr.status == STALLED and tr.done
    assert tr.step < 200  # not the whole budget of 1,500 steps
    assert "hidden units have all stopped responding" in tr.message
    assert "smaller learning rate (now 1)" in tr.message and "tanh or sigmoid instead of relu" in tr.message
    assert tr.metrics()["stalled"] and not tr.metrics()["diverged"]
    assert tr.advance(10) == 0  # a stalled run trains no more
    tr.set_steps(5000)
    assert tr.status == STALLED  # nor does a bigger budget revive it


def test_unresponsive_layer_names_the_dead_layer():
    x = eval_set(4).x
    model = SequenceModel(Config(activation="relu", hidden=4, bits=4, layers=2))
    assert stall.unresponsive_layer(model, x) is None
    for name in ("L2.Wxh", "L2.Whh"):
        model.params[name][:] = 0.0
    model.params["L2.bh"][:] = -1.0  # below zero for every input: ReLU gives 0 everywhere
    assert stall.unresponsive_layer(model, x) == 1
    model.params["L1.bh"][:] = -1e6
    assert stall.unresponsive_layer(model, x) == 0


def flat_model() -> SequenceModel:
    """A model whose units respond, so only the loss can make the watch say "stalled"."""
    return SequenceModel(Config(hidden=3, bits=4))


def test_a_loss_at_chance_without_progress_stalls_after_the_stated_number_of_evaluations():
    watch, x = stall.StallWatch(), eval_set(4).x
    rng = np.random.default_rng(0)
    said = [watch.check(flat_model(), x, math.log(2) + 0.003 * rng.random(), step=20 * (i + 1))
            for i in range(stall.CHANCE_EVALS)]
    assert said[:-1] == [None] * (stall.CHANCE_EVALS - 1)
    n = stall.CHANCE_EVALS
    assert f"stayed at chance (cross-entropy 0.693, a coin toss per bit) for {n} evaluations" in said[-1]


@pytest.mark.parametrize("shape", ["creeping down", "leaving chance"])
def test_a_loss_that_moves_is_not_stalled(shape):
    watch, x = stall.StallWatch(), eval_set(4).x
    n = 3 * stall.CHANCE_EVALS
    if shape == "creeping down":  # plain SGD's long plateau: ~0.0001 per evaluation
        values = math.log(2) - 1e-4 * np.arange(n)
    else:
        values = np.linspace(math.log(2), 0.1, n)
    assert all(watch.check(flat_model(), x, v, step=i + 1) is None for i, v in enumerate(values))


def test_the_evaluation_before_training_is_not_judged():
    model = SequenceModel(Config(hidden=3, bits=4))
    model.params["L1.bh"][:] = -1e6  # dead from the start
    model.params["L1.Wxh"][:] = 0.0
    watch = stall.StallWatch(dead_evals=1)
    assert watch.check(model, eval_set(4).x, math.log(2), step=0) is None
    assert "stopped responding" in watch.check(model, eval_set(4).x, math.log(2), step=1)


@pytest.mark.slow
def test_plain_sgd_on_its_long_plateau_is_not_called_stalled_and_solves():
    tr = Trainer(Config(optimizer="sgd", lr=0.5, steps=3000))  # ~85 evaluations near ln 2 before it learns
    tr.run()
    assert tr.status != STALLED and tr.solved_at_step is not None
