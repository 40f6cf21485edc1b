"""The trainer: determinism, solving the task, live control, divergence, budget, history."""

import numpy as np
import pytest

from engine import data, losses
from engine.config import Config, preset
from engine.train import Trainer, evaluate

SMALL = Config(steps=40, eval_every=10)


def params_of(trainer: Trainer) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in trainer.model.params.items()}


def assert_same_run(one: Trainer, two: Trainer) -> None:
    for table in ("train", "evals"):
        a, b = getattr(one.history, table), getattr(two.history, table)
        for col in a.names:
            np.testing.assert_array_equal(a[col], b[col], err_msg=f"history.{table}[{col!r}]")
    for k in one.model.params:
        np.testing.assert_array_equal(one.model.params[k], two.model.params[k], err_msg=k)


# --- determinism ------------------------------------------------------------------------

DEEP_DROPOUT = SMALL.replace(layers=2, keep_prob=0.7, optimizer="momentum", lr=0.5)


@pytest.mark.parametrize("config", [SMALL, DEEP_DROPOUT], ids=["default", "two-layers-dropout"])
def test_same_seed_gives_the_same_run(config):
    one, two = Trainer(config), Trainer(config)
    one.run()
    two.run()
    assert_same_run(one, two)


def test_advancing_in_chunks_gives_the_same_run_as_all_at_once():
    whole, chunked = Trainer(SMALL), Trainer(SMALL)
    whole.run()
    for n in (1, 7, 3, 100):
        chunked.advance(n)
    assert_same_run(whole, chunked)


def test_different_seeds_give_different_runs():
    one, two = Trainer(SMALL), Trainer(SMALL.replace(seed=1))
    one.run()
    two.run()
    assert not np.array_equal(one.history.train["loss"], two.history.train["loss"])
    assert not np.array_equal(one.model.params["L1.Whh"], two.model.params["L1.Whh"])


def test_training_leaves_the_global_numpy_random_state_alone():
    np.random.seed(123)  # noqa: NPY002 (the legacy global state is what is checked)
    before = np.random.get_state(legacy=False)  # noqa: NPY002
    Trainer(SMALL.replace(keep_prob=0.5)).run()
    after = np.random.get_state(legacy=False)  # noqa: NPY002
    np.testing.assert_array_equal(before["state"]["key"], after["state"]["key"])
    assert before["state"]["pos"] == after["state"]["pos"]


# --- learning -----------------------------------------------------------------------------

def test_default_preset_sums_every_8_bit_pair_within_its_budget():
    config = Config(seed=0)
    trainer = Trainer(config)
    assert len(trainer.eval_batch) == 16384
    while trainer.solved_at_step is None and not trainer.done:
        trainer.advance(config.eval_every)
    assert trainer.solved_at_step is not None, (
        f"not solved within {config.steps} steps; exact accuracy {trainer.history.evals['exact_acc'][-1]}")
    assert trainer.solved_at_step <= config.steps
    # check every pair independently of the trainer's own evaluation
    ev = data.eval_set(8)
    predicted = data.bits_to_int(trainer.model.predict(ev.x))
    wrong = np.flatnonzero(predicted != ev.a + ev.b)
    assert wrong.size == 0, f"{wrong.size} sums wrong, e.g. {ev.a[wrong[0]]} + {ev.b[wrong[0]]}"
    assert evaluate(trainer.model, ev)["exact_acc"] == 1.0
    assert trainer.metrics()["solved_at_step"] == trainer.solved_at_step



# --- live control -------------------------------------------------------------------------

def test_changing_the_learning_rate_keeps_the_optimizer_state_and_the_step():
    trainer = Trainer(Config(optimizer="adam", lr=0.05, steps=100))
    trainer.advance(5)
    opt, moments = trainer.optimizer, dict(trainer.optimizer.m)
    before = params_of(trainer)
    trainer.set_lr(0.01)
    assert trainer.optimizer is opt and opt.lr == 0.01 and opt.t == 5
    assert trainer.config.lr == 0.01
    assert trainer.config.replace(lr=0.05) == Config(optimizer="adam", steps=100)
    assert trainer.step == 5 and trainer.samples == 5 * 64
    for k, v in before.items():
        np.testing.assert_array_equal(trainer.model.params[k], v, err_msg=f"{k} changed by set_lr")
    trainer.advance(2)
    assert opt.t == 7
    assert all(opt.m[k] is moments[k] for k in moments)
    np.testing.assert_array_equal(trainer.history.train["lr"], [0.05] * 5 + [0.01] * 2)


def test_a_new_learning_rate_changes_the_next_update():
    slow, fast = Trainer(Config(optimizer="sgd", lr=0.1)), Trainer(Config(optimizer="sgd", lr=0.1))
    slow.advance(3)
    fast.advance(3)
    start = params_of(fast)
    fast.set_lr(0.3)
    slow.advance(1)
    fast.advance(1)
    for k in start:
        np.testing.assert_allclose(fast.model.params[k] - start[k], 3 * (slow.model.params[k] - start[k]),
                                   rtol=1e-9, atol=1e-15, err_msg=k)


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), 1e9])
def test_an_invalid_learning_rate_is_refused_and_nothing_changes(lr):
    trainer = Trainer(SMALL)
    with pytest.raises(ValueError, match="lr must be"):
        trainer.set_lr(lr)
    assert trainer.optimizer.lr == SMALL.lr and trainer.config.lr == SMALL.lr


# --- divergence -------------------------------------------------------------------------------

# ReLU units on 32-bit sums with the tutorial's U[-1, 1) weights and a learning rate of
# 100 overflow within a couple of steps.
EXPLODING = Config(activation="relu", init="uniform", bits=32, optimizer="sgd", lr=100.0, steps=200)


@pytest.mark.filterwarnings("error")  # no RuntimeWarning from NumPy leaks out either
def test_divergence_stops_the_run_with_a_status_and_a_message():
    trainer = Trainer(EXPLODING)
    taken = trainer.advance(200)
    assert trainer.status == "diverged" and trainer.done
    assert taken == trainer.step < 200
    assert "diverged" in trainer.message and "learning rate" in trainer.message
    assert trainer.metrics()["diverged"] is True
    assert len(trainer.history.train) == trainer.step


def test_a_diverged_run_does_not_advance_any_more():
    trainer = Trainer(EXPLODING)
    trainer.run()
    step, samples, rows = trainer.step, trainer.samples, len(trainer.history.train)
    assert trainer.advance(10) == 0
    assert trainer.advance_for(0.01) == 0
    trainer.run()
    assert (trainer.step, trainer.samples, len(trainer.history.train)) == (step, samples, rows)
    assert trainer.status == "diverged"


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_learning_rate_that_blows_the_loss_up_is_reported_as_diverged(optimizer):
    # Nothing overflows here: the loss and weights stay finite but have clearly blown up.
    trainer = Trainer(Config(optimizer=optimizer, lr=100.0, steps=500))
    trainer.run()
    assert trainer.status == "diverged", trainer.history.evals["eval_loss"]
    assert trainer.step <= 2 * trainer.config.eval_every
    assert "evaluation cross-entropy grew" in trainer.message and "smaller learning rate" in trainer.message


@pytest.mark.parametrize("config", [Config(loss="mse", lr=10.0, steps=1000),
                                    preset("lstm").replace(lr=10.0)],
                         ids=["mse-lr-10", "lstm-lr-10"])
def test_divergence_is_judged_on_cross_entropy_whatever_the_training_loss(config):
    # Squared error on a sigmoid never exceeds 1, so it cannot grow tenfold; the
    # cross-entropy of the same answers does once confident bits go wrong.
    trainer = Trainer(config)
    trainer.run()
    assert trainer.status == "diverged", trainer.history.evals["eval_loss"]
    assert "evaluation cross-entropy grew" in trainer.message
    assert trainer.step < config.steps


def test_the_divergence_test_reads_the_cross_entropy_of_the_evaluation_logits():
    trainer = Trainer(Config(loss="mse", steps=10))
    model, batch = trainer.model, trainer.eval_schedule.sample  # what a scheduled evaluation runs
    z = model.forward(batch.x).z
    expected = losses.bce(z, np.swapaxes(batch.y, 0, 1))[0]
    assert trainer.eval_xent == pytest.approx(expected, rel=1e-12)
    assert trainer.history.evals["eval_loss"][0] == pytest.approx(
        losses.mse(z, np.swapaxes(batch.y, 0, 1))[0], rel=1e-12)


@pytest.mark.parametrize("config", [Config(steps=600), Config(activation="relu", steps=600),
                                    Config(optimizer="sgd", lr=1.0, steps=600),
                                    preset("lstm").replace(steps=600), Config(loss="mse", steps=600)],
                         ids=["default", "relu", "sgd-lr-1", "lstm", "mse"])
def test_healthy_runs_are_never_mistaken_for_divergence(config):
    trainer = Trainer(config)
    trainer.run()
    assert trainer.status == "finished", trainer.message


def test_weights_beyond_the_limit_count_as_divergence():
    trainer = Trainer(Config(steps=100))
    trainer.model.params["L1.Whh"][0, 0] = 2e3  # as if an update had thrown it far out
    trainer.advance(trainer.config.eval_every)
    assert trainer.status == "diverged"
    assert "a weight grew to 2e+03" in trainer.message


# --- budget and chunks --------------------------------------------------------------------------

def test_the_run_finishes_when_its_budget_is_used():
    trainer = Trainer(Config(steps=25, eval_every=10))
    assert trainer.status == "ready"
    trainer.advance(3)
    assert trainer.status == "training"
    assert trainer.advance(100) == 22
    assert trainer.status == "finished" and trainer.done and trainer.step == 25
    assert trainer.advance(5) == 0
    np.testing.assert_array_equal(trainer.history.evals["step"], [0, 10, 20, 25])


def test_a_finished_run_can_be_extended():
    trainer = Trainer(Config(steps=10))
    trainer.run()
    trainer.set_steps(15)
    assert trainer.status == "training"
    assert trainer.advance(100) == 5 and trainer.status == "finished"


def test_a_budget_at_or_below_the_steps_taken_finishes_the_run():
    for budget in (10, 4):
        trainer = Trainer(Config(steps=20))
        trainer.advance(10)
        trainer.set_steps(budget)
        assert trainer.status == "finished" and trainer.done
        assert trainer.advance(5) == 0 and trainer.step == 10


def test_a_diverged_run_stays_diverged_when_its_budget_changes():
    trainer = Trainer(EXPLODING)
    trainer.run()
    trainer.set_steps(trainer.step)
    assert trainer.status == "diverged"
    trainer.set_steps(trainer.step + 100)
    assert trainer.status == "diverged"


SOLVES = Config(bits=6, steps=1000, eval_every=10)


def solved_step() -> int:
    trainer = Trainer(SOLVES)
    trainer.run()
    assert trainer.solved_at_step is not None
    return trainer.solved_at_step


def test_advance_can_stop_exactly_when_the_run_is_solved():
    at = solved_step()
    trainer = Trainer(SOLVES)
    assert trainer.advance(SOLVES.steps, stop_when_solved=True) == at
    assert trainer.step == trainer.solved_at_step == at and trainer.status == "training"
    assert trainer.history.evals["exact_acc"][-1] == 1.0
    # Once solved, the flag no longer stops the run.
    assert trainer.advance(25, stop_when_solved=True) == 25


def test_advance_for_can_stop_exactly_when_the_run_is_solved():
    at = solved_step()
    trainer = Trainer(SOLVES)
    taken = 0
    while trainer.solved_at_step is None and not trainer.done:
        taken += trainer.advance_for(60.0, max_steps=SOLVES.steps, stop_when_solved=True)
    assert taken == trainer.step == at


def test_advance_for_takes_at_least_one_step():
    trainer = Trainer(SMALL)
    assert trainer.advance_for(0.0) >= 1
    assert trainer.advance_for(-1.0) == 1


def test_advance_for_measures_the_time_per_step():
    trainer = Trainer(SMALL)
    before = trainer.step_seconds
    trainer.advance_for(0.0)
    assert trainer.step_seconds > 0 and trainer.step_seconds != before


def test_advance_for_respects_max_steps():
    trainer = Trainer(SMALL)
    assert trainer.advance_for(60.0, max_steps=3) == 3
    assert trainer.step == 3
    assert trainer.advance_for(60.0, max_steps=0) == 0
    assert trainer.advance_for(60.0, max_steps=1000) == SMALL.steps - 3 and trainer.status == "finished"


@pytest.mark.parametrize("config", [Config(hidden=6, bits=6), Config(cell="lstm", hidden=5, layers=2, bits=9),
                                    Config(cell="gru", hidden=4, bits=12)], ids=["rnn", "lstm-2", "gru"])
@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_evaluation_in_chunks_gives_the_same_figures_as_one_pass(config, loss):
    trainer = Trainer(config.replace(loss=loss, steps=30))
    trainer.run()
    batch = trainer.eval_batch
    whole = evaluate(trainer.model, batch, loss, chunk=len(batch))
    for chunk in (1000, 2048, 777):
        assert evaluate(trainer.model, batch, loss, chunk=chunk) == pytest.approx(whole, rel=1e-12)
    assert trainer.evaluate() == pytest.approx(whole, rel=1e-12)
    # And the figures are those of a plain forward pass over the whole batch.
    tr = trainer.model.forward(batch.x)
    y = np.swapaxes(batch.y, 0, 1)
    right = (tr.p >= 0.5) == (y >= 0.5)
    assert whole["eval_loss"] == pytest.approx(losses.get(loss)(tr.z, y)[0], rel=1e-12)
    assert whole["exact_acc"] == float(right.all(axis=(0, 2)).mean())
    assert whole["bit_acc"] == float(right.mean())


def test_history_columns_stay_aligned():
    trainer = Trainer(Config(steps=35, eval_every=10, batch=16))
    trainer.advance(12)
    trainer.advance_for(0.0)
    trainer.run()
    train, evals = trainer.history.train, trainer.history.evals
    n = trainer.step
    assert {len(train[c]) for c in train.names} == {n}
    assert len({len(evals[c]) for c in evals.names}) == 1
    np.testing.assert_array_equal(train["step"], np.arange(1, n + 1))
    np.testing.assert_array_equal(train["samples"], 16 * np.arange(1, n + 1))
    assert np.all(np.isfinite(train["loss"])) and np.all(train["grad_norm"] >= 0)
    assert np.all(evals["exact_acc"] >= 0) and np.all(evals["bit_acc"] <= 1)
    assert np.all(evals["exact_acc"] <= evals["bit_acc"])


def test_metrics_report_the_latest_figures():
    trainer = Trainer(SMALL)
    trainer.advance(10)
    m = trainer.metrics()
    assert m["step"] == 10 and m["samples"] == 640 and m["status"] == "training" and not m["diverged"]
    assert m["loss"] == trainer.history.train["loss"][-1]
    assert m["exact_accuracy"] == trainer.history.evals["exact_acc"][-1]
    assert m["bit_accuracy"] == trainer.history.evals["bit_acc"][-1]


# --- clipping ----------------------------------------------------------------------------------

def test_clipping_scales_the_applied_gradient_down_to_the_limit():
    base = Config(optimizer="sgd", lr=0.5, steps=5)
    free = Trainer(base)
    start = params_of(free)
    free.advance(1)
    norm = free.history.train["grad_norm"][0]
    limit = norm / 10
    clipped = Trainer(base.replace(clip=limit))
    clipped.advance(1)
    assert clipped.history.train["grad_norm"][0] == norm  # recorded before clipping
    applied = {k: (start[k] - clipped.model.params[k]) / base.lr for k in start}
    assert np.sqrt(sum(np.sum(g * g) for g in applied.values())) == pytest.approx(limit, rel=1e-9)
    for k in start:  # same direction as the unclipped step, 10x shorter
        np.testing.assert_allclose(applied[k], (start[k] - free.model.params[k]) / base.lr / 10,
                                   rtol=1e-9, atol=1e-15, err_msg=k)
