"""The fast paths of training and evaluation against the plain ones they replace."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine import data, losses, optim
from engine.analysis.states import subsample
from engine.batches import BatchStream
from engine.config import Config
from engine.evaluation import Schedule, evaluate, logits, measure
from engine.fused import FusedRNNStep, fusable
from engine.model import SequenceModel
from engine.prefixes import PrefixTree, tree_figures
from engine.train import Trainer

# --- batches drawn a block at a time ----------------------------------------------------


@pytest.mark.parametrize(("batch", "bits", "block"),
                         [(64, 8, 64), (1, 3, 7), (16, 40, 5), (3, 64, 2), (5, 1, 3)])
def test_a_batch_stream_gives_the_sums_of_one_draw_per_step(batch, bits, block):
    per_step, blocks = np.random.default_rng(3), np.random.default_rng(3)
    stream = BatchStream(blocks, batch, bits, block_steps=block)
    for step in range(3 * block + 1):
        x, y = data.random_xy(per_step, batch, bits)
        x2, y2 = stream.next()
        assert_array_equal(x2, x, err_msg=f"inputs of step {step}")
        assert_array_equal(y2, y, err_msg=f"targets of step {step}")


def test_a_batch_stream_resumes_exactly_from_its_position():
    one = BatchStream(np.random.default_rng(9), 8, 6, block_steps=5)
    for _ in range(7):
        one.next()
    where = one.position()
    ahead = [one.next() for _ in range(9)]
    two = BatchStream(np.random.default_rng(12345), 8, 6, block_steps=5)  # another generator state
    two.seek(where)
    for k, (x, y) in enumerate(ahead):
        x2, y2 = two.next()
        assert_array_equal(x2, x, err_msg=f"step {k} after the resume")
        assert_array_equal(y2, y)


# --- the fused training step ------------------------------------------------------------

FUSED = [Config(), Config(bias=False, loss="mse", hidden=5), Config(bits=3, batch=1),
         Config(hidden=1, bits=12)]


@pytest.mark.parametrize("config", FUSED, ids=["default", "no-bias-mse", "batch-1", "one-unit"])
def test_the_fused_step_computes_what_forward_loss_and_backward_compute(config):
    assert fusable(config)
    model = SequenceModel(config, rng=np.random.default_rng(4))
    for p in model.params.values():  # biases away from zero too
        p += np.random.default_rng(5).normal(scale=0.3, size=p.shape)
    reference = model.copy()
    fused = FusedRNNStep(model, config.batch, config.bits)
    x, y = data.random_xy(np.random.default_rng(6), config.batch, config.bits)
    loss, gnorm = fused.step(x, y)
    trace = reference.forward(x, time_major=True)
    want_loss, dz = losses.get(config.loss)(trace.z, y, trace.p)
    grads, dh_norm = reference.backward(trace, dz)
    assert loss == pytest.approx(want_loss, rel=1e-13)
    assert gnorm == pytest.approx(optim.global_norm(grads), rel=1e-13)
    assert set(fused.grads) == set(grads)
    for k, g in grads.items():
        assert_allclose(fused.grads[k], g, rtol=1e-11, atol=1e-16, err_msg=f"gradient of {k}")
    assert_allclose(fused.dh_norm(), dh_norm, rtol=1e-12)


def test_the_fused_step_keeps_the_models_parameters_as_views_even_when_one_is_replaced():
    model = SequenceModel(Config())
    fused = FusedRNNStep(model, 64, 8)
    assert all(np.shares_memory(model.params[k], fused.flat_params) for k in model.params)
    model.params["L1.Whh"] = np.full((16, 16), 0.125)  # as a loader might do
    x, y = data.random_xy(np.random.default_rng(0), 64, 8)
    fused.step(x, y)
    assert np.shares_memory(model.params["L1.Whh"], fused.flat_params)
    assert_array_equal(model.params["L1.Whh"], 0.125)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_a_flat_optimizer_step_is_the_per_tensor_step(name):
    rng = np.random.default_rng(1)
    shapes = {"a": (3, 4), "b": (4,), "c": (2, 2)}
    flat_p = rng.normal(size=sum(int(np.prod(s)) for s in shapes.values()))
    flat_g = np.empty_like(flat_p)
    views_p, views_g, start = {}, {}, 0
    for k, s in shapes.items():
        n = int(np.prod(s))
        views_p[k], views_g[k] = flat_p[start:start + n].reshape(s), flat_g[start:start + n].reshape(s)
        start += n
    dict_p = {k: v.copy() for k, v in views_p.items()}
    flat_opt, dict_opt = optim.make(name, 0.1), optim.make(name, 0.1)
    for _ in range(5):
        flat_g[:] = rng.normal(size=flat_g.shape)
        flat_opt.step_flat(flat_p, flat_g, views_g)
        dict_opt.step(dict_p, {k: v.copy() for k, v in views_g.items()})
    for k in shapes:
        assert_array_equal(views_p[k], dict_p[k], err_msg=f"{name}: parameter {k}")


def test_the_trainer_reports_the_fused_steps_gradient_norms_per_step():
    fast = Trainer(Config(steps=100))
    assert fast.last_dh_norm is None
    fast.advance(3)
    plain = SequenceModel(Config())
    x, y = data.random_xy(np.random.default_rng(0), 64, 8)
    assert fast.last_dh_norm.shape == (1, 8)
    assert plain.backward(plain.forward(x, time_major=True), np.ones((8, 64, 1)))[1].shape == (1, 8)


# --- evaluation ---------------------------------------------------------------------------


def test_lean_evaluation_logits_equal_the_models_forward():
    model = SequenceModel(Config(), rng=np.random.default_rng(2))
    batch = data.eval_set(6)
    assert_allclose(logits(model, batch, chunk=100), model.forward(batch.x).z, rtol=1e-12, atol=1e-13)
    assert_allclose(evaluate(model, batch)["eval_loss"], losses.bce(model.forward(batch.x).z,
                    np.swapaxes(batch.y, 0, 1))[0], rtol=1e-12)


@pytest.mark.parametrize(("config", "bits"), [(Config(), 8), (Config(loss="mse", bias=False), 8),
                                              (Config(hidden=3), 12), (Config(), 2)],
                         ids=["default", "mse-no-bias", "12-bits", "2-bits"])
def test_figures_over_shared_beginnings_equal_those_of_every_sum(config, bits):
    for scale in (0.5, 3.0, 12.0):
        rng = np.random.default_rng(int(scale * 10) + bits)
        model = SequenceModel(config.replace(bits=bits))
        for p in model.params.values():
            p[...] = rng.uniform(-scale, scale, size=p.shape)
        for batch in (data.eval_set(bits), subsample(data.eval_set(bits), 100, seed=3)):
            tree = PrefixTree(batch)
            assert tree.states <= bits * len(batch)
            got, xent = tree_figures(model.params, tree, config.loss)
            want, want_xent = measure(model, batch, config.loss)
            assert got["exact_acc"] == want["exact_acc"] and got["bit_acc"] == want["bit_acc"]
            assert got["eval_loss"] == pytest.approx(want["eval_loss"], rel=1e-12)
            assert xent == pytest.approx(want_xent, rel=1e-12)
            stopped = tree_figures(model.params, tree, config.loss, stop_if_wrong=True)
            assert (stopped is None) == (want["exact_acc"] < 1.0)


def test_the_8_bit_set_has_38228_distinct_beginnings():
    assert PrefixTree(data.eval_set(8)).states == 4 + 16 + 64 + 256 + 1024 + 4096 + 16384 + 16384


def test_confirm_decides_like_a_full_float64_evaluation():
    schedule = Schedule(8)
    trainer = Trainer(Config(seed=0, steps=5000))
    seen = set()
    while trainer.step < 240:
        trainer.advance(10)
        right = measure(trainer.model, schedule.full, "bce")[0]["exact_acc"] == 1.0
        confirmed = schedule.confirm(trainer.model, "bce")
        assert (confirmed is not None) == right, f"step {trainer.step}"
        if confirmed is not None:
            assert confirmed[0]["exact_acc"] == 1.0
        seen.add(right)
    assert seen == {False, True}  # both answers were checked


@pytest.mark.parametrize("config", [Config(eval_every=10), Config(cell="gru", eval_every=25, steps=400),
                                    Config(loss="mse", seed=4), Config(optimizer="momentum", lr=0.5, seed=1),
                                    Config(bits=5, eval_every=3, seed=2)],
                         ids=["default", "gru", "mse", "momentum", "5-bits"])
def test_solved_at_step_is_the_first_evaluated_step_with_the_whole_set_right(config):
    trainer = Trainer(config)
    full = trainer.eval_batch
    first = None
    while not trainer.done and first is None:
        trainer.advance(config.eval_every)
        if evaluate(trainer.model, full)["exact_acc"] == 1.0:
            first = trainer.step
    assert first is not None, "the run should solve within its budget"
    assert trainer.solved_at_step == first
    evals = trainer.history.evals
    assert evals["exact_acc"][-1] == 1.0 and evals["step"][-1] == first
    sample = trainer.eval_schedule.sample
    assert len(sample) == min(512, len(full)) and set(map(int, sample.a)) <= set(map(int, full.a))


def test_the_last_evaluation_of_the_budget_covers_the_whole_set():
    trainer = Trainer(Config(steps=30, eval_every=10))
    trainer.run()
    evals, whole = trainer.history.evals, trainer.evaluate()
    assert list(evals["step"]) == [0, 10, 20, 30]
    assert evals["exact_acc"][-1] == whole["exact_acc"]
    assert evals["eval_loss"][-1] == pytest.approx(whole["eval_loss"], rel=1e-12)
    sample = trainer.eval_schedule.sample  # the others are the sample's figures
    assert evals["exact_acc"][0] == evaluate(SequenceModel(trainer.config), sample)["exact_acc"]
