"""The vanilla RNN sequence model: trace contents and hand-written backpropagation."""

import itertools

import numpy as np
import pytest

from engine import data, gradcheck
from engine.activations import ACTIVATIONS
from engine.config import Config
from engine.model import SequenceModel

GRAD_TOL = gradcheck.THRESHOLD  # 1e-6 relative error, as the gradcheck command demands


def assert_gradients_match(config: Config, **kwargs) -> None:
    rows = gradcheck.check_model(config, **kwargs)
    assert {r.name for r in rows} == set(SequenceModel(config).param_shapes())
    for r in rows:
        np.testing.assert_allclose(
            r.rel_error, 0.0, atol=GRAD_TOL,
            err_msg=(f"backpropagated gradient of {r.name} {r.shape} disagrees with central differences "
                     f"(max abs error {r.max_abs_error:.2e}) for {config}"))


@pytest.mark.parametrize(("activation", "loss", "bias"),
                         list(itertools.product(["sigmoid", "tanh", "relu"], ["mse", "bce"], [True, False])))
def test_gradients_match_finite_differences(activation, loss, bias):
    assert_gradients_match(Config(hidden=6, activation=activation, loss=loss, bias=bias))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_gradients_match_for_two_layers(activation):
    assert_gradients_match(Config(hidden=5, layers=2, activation=activation, loss="bce"))


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_gradients_match_with_dropout(loss):
    assert_gradients_match(Config(hidden=5, layers=2, keep_prob=0.6, activation="tanh", loss=loss))


def test_gradients_match_for_the_classic_architecture():
    assert_gradients_match(Config(hidden=16, activation="sigmoid", bias=False, init="uniform", loss="mse"))


def test_gradient_check_flags_a_wrong_gradient():
    params = {"w": np.array([1.0, -2.0, 0.5])}

    def loss_of():
        return float(np.sum(params["w"] ** 2))

    right = gradcheck.check_function(params, loss_of, {"w": 2 * params["w"]})
    wrong = gradcheck.check_function(params, loss_of, {"w": 2 * params["w"] + [0.0, 0.0, 1e-3]})
    assert right[0].ok and right[0].rel_error < 1e-9
    assert not wrong[0].ok
    assert "NO" in gradcheck.format_table(wrong) and "yes" in gradcheck.format_table(right)


# --- forward trace ----------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_trace_holds_each_steps_pre_activation_and_hidden_state(activation):
    cfg = Config(hidden=7, activation=activation)
    model = SequenceModel(cfg)
    batch = data.random_batch(np.random.default_rng(1), 4, 8)
    tr = model.forward(batch.x)
    layer = tr.layers[0]
    T, B, H = 8, 4, 7
    for key in ("pre", "xin", "rec", "h"):
        assert getattr(layer, key).shape == (T, B, H), key
    assert tr.x.shape == (T, B, 2) and tr.z.shape == (T, B, 1) and tr.p.shape == (T, B, 1)
    np.testing.assert_allclose(layer.pre, layer.xin + layer.rec)
    np.testing.assert_allclose(layer.h, ACTIVATIONS[activation].f(layer.pre))
    # h_t = f(x_t Wxh + h_{t-1} Whh + bh), starting from h_{-1} = 0
    p = model.params
    h_prev = np.zeros((B, H))
    for t in range(T):
        pre = tr.x[t] @ p["L1.Wxh"] + h_prev @ p["L1.Whh"] + p["L1.bh"]
        np.testing.assert_allclose(layer.pre[t], pre, err_msg=f"step {t}")
        h_prev = layer.h[t]
    np.testing.assert_allclose(tr.z, tr.h @ p["Why"] + p["by"])
    np.testing.assert_allclose(tr.probs(), 1 / (1 + np.exp(-tr.z[..., 0].T)))
    np.testing.assert_allclose(model.predict(batch.x), tr.probs())


def test_parameter_names_follow_the_layers():
    model = SequenceModel(Config(hidden=4, layers=2))
    assert set(model.params) == {"L1.Wxh", "L1.Whh", "L1.bh", "L2.Wxh", "L2.Whh", "L2.bh", "Why", "by"}
    assert model.params["L1.Wxh"].shape == (2, 4) and model.params["L2.Wxh"].shape == (4, 4)
    assert set(SequenceModel(Config(hidden=4, bias=False)).params) == {"L1.Wxh", "L1.Whh", "Why"}


def test_backward_reports_the_gradient_norm_reaching_each_step():
    cfg = Config(hidden=6, layers=2)
    model = SequenceModel(cfg)
    batch = data.random_batch(np.random.default_rng(2), 3, 8)
    tr = model.forward(batch.x)
    dz = np.ones_like(tr.z)
    grads, dh_norm = model.backward(tr, dz)
    assert dh_norm.shape == (2, 8)
    assert np.all(dh_norm > 0)
    # at the last step only the read-out feeds the top layer's h_T
    top_last = dz[-1] @ model.params["Why"].T
    np.testing.assert_allclose(dh_norm[1, -1], np.linalg.norm(top_last))
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in model.params.items()}


def test_model_is_deterministic_from_its_seed():
    a, b = SequenceModel(Config(seed=5)), SequenceModel(Config(seed=5))
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=k)
    c = SequenceModel(Config(seed=6))
    assert not np.array_equal(a.params["L1.Whh"], c.params["L1.Whh"])


def test_params_that_do_not_fit_the_architecture_are_refused():
    good = SequenceModel(Config(hidden=4)).params
    with pytest.raises(ValueError, match="missing"):
        SequenceModel(Config(hidden=4), params={k: v for k, v in good.items() if k != "Why"})
    with pytest.raises(ValueError, match=r"L1.Whh has shape"):
        SequenceModel(Config(hidden=4), params={**good, "L1.Whh": np.zeros((3, 3))})


def test_unknown_cell_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="not available"):
        SequenceModel(Config(cell="nope"))


@pytest.mark.parametrize("bias", [True, False])
def test_fast_sigmoid_recurrence_matches_the_plain_per_step_one(bias):
    from engine.cells.rnn import RNNCell

    rng = np.random.default_rng(5)
    cell = RNNCell(2, 9, activation="sigmoid", bias=bias)
    p = {k: rng.normal(scale=1.5, size=s) for k, s in cell.param_shapes().items()}
    x = rng.integers(0, 2, size=(12, 7, 2)).astype(float)
    fast, plain = cell.forward(p, x), cell.forward_per_step(p, x)
    for k in plain.names():
        np.testing.assert_allclose(getattr(fast, k), getattr(plain, k), rtol=1e-13, atol=1e-15,
                                   err_msg=f"the fast sigmoid recurrence's {k} strays from the plain loop")


def test_layer_traces_are_frozen_dataclasses_of_stacked_arrays():
    import dataclasses

    from engine.cells.gru import GRUTrace
    from engine.cells.lstm import LSTMTrace
    from engine.cells.rnn import RNNTrace

    x = data.random_batch(np.random.default_rng(0), 3, 5).x
    for cell, kind in (("rnn", RNNTrace), ("lstm", LSTMTrace), ("gru", GRUTrace)):
        layer = SequenceModel(Config(cell=cell, hidden=4)).forward(x).layers[0]
        assert type(layer) is kind and layer.names()[0] == "h"
        with pytest.raises(dataclasses.FrozenInstanceError):
            layer.h = None
        one = layer.map(lambda a: a[2, 1])  # one step of one sum, the same kind of trace
        assert type(one) is kind and one.h.shape == (4,)
        np.testing.assert_array_equal(one.h, layer.h[2, 1])
