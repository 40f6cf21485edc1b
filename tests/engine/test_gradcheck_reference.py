"""Reference 004's recurrent-layer gradient check, and BPTT step by step (engine.analysis.bptt)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Config, SequenceModel, data, losses
from engine.analysis.bptt import sum_gradients
from engine.gradcheck import REFERENCE_INPUTS, recurrent_layer_check

# --- reference 004's check ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_identity_layer_numerical_and_backprop_gradients_agree(seed):
    check = recurrent_layer_check("identity", seed=seed, eps=1e-3)
    assert [r.label for r in check.rows] == [
        "U(0,0)", "U(0,1)", "U(0,2)", "U(1,0)", "U(1,1)", "U(1,2)", "W(0,0)", "W(0,1)", "W(1,0)", "W(1,1)"]
    num = np.array([r.numerical for r in check.rows])
    ana = np.array([r.backprop for r in check.rows])
    np.testing.assert_allclose(num, ana, rtol=0, atol=1e-8, err_msg="central differences vs BPTT")
    assert check.max_abs_error < 1e-8


def test_identity_layer_gradients_match_the_hand_derivation():
    # h1 = U x1, h2 = U x2 + W h1, L = sum(h2):
    #   dL/dW[i, j] = h1[j]  (delta_2 = ones: every row the same, as the reference prints)
    #   dL/dU[i, j] = x2[j] + (sum_k W[k, i]) x1[j]  (delta_1 = W^T delta_2)
    check = recurrent_layer_check("identity", seed=3)
    U, W = check.U, check.W
    x1, x2 = REFERENCE_INPUTS
    h1 = U @ x1
    want_dW = np.tile(h1, (2, 1))
    want_dU = x2[None, :] + W.sum(axis=0)[:, None] * x1[None, :]
    got = {(r.matrix, r.i, r.j): r.backprop for r in check.rows}
    got_dW = np.array([[got["W", i, j] for j in range(2)] for i in range(2)])
    got_dU = np.array([[got["U", i, j] for j in range(3)] for i in range(2)])
    np.testing.assert_allclose(got_dW, want_dW, rtol=1e-12, err_msg="dL/dW")
    np.testing.assert_allclose(got_dU, want_dU, rtol=1e-12, err_msg="dL/dU")
    np.testing.assert_allclose(check.h, [h1, U @ x2 + W @ h1], rtol=1e-12)
    np.testing.assert_allclose(check.delta_h, [W.T @ np.ones(2), np.ones(2)], rtol=1e-12)
    assert check.loss == pytest.approx(float((U @ x2 + W @ h1).sum()), rel=1e-12)


def test_weights_are_tiny_and_drawn_from_the_seed():
    a, b = recurrent_layer_check(seed=5), recurrent_layer_check(seed=5)
    np.testing.assert_array_equal(a.U, b.U)
    assert a.U.shape == (2, 3) and a.W.shape == (2, 2)
    assert np.abs(np.concatenate([a.U.ravel(), a.W.ravel()])).max() < 1e-4
    assert not np.array_equal(a.U, recurrent_layer_check(seed=6).U)


def test_relu_recurrent_weights_agree_but_a_big_nudge_of_u_crosses_the_kink():
    coarse = recurrent_layer_check("relu", seed=0, eps=1e-3)
    w_rows = [r for r in coarse.rows if r.matrix == "W"]
    assert max(r.abs_error for r in w_rows) < 1e-8  # the weights the reference checks
    # A nudge of 1e-3 on U moves pre-activations of about 1e-4 by up to 4e-3: across zero.
    assert max(r.abs_error for r in coarse.rows if r.matrix == "U") > 0.1
    fine = recurrent_layer_check("relu", seed=0, eps=1e-7)
    assert fine.max_abs_error < 1e-8


def test_row_prints_like_the_reference():
    row = recurrent_layer_check("identity", seed=0).rows[6]
    assert row.line() == f"W(0,0): numerical {row.numerical:.6f}, backprop {row.backprop:.6f}"


@pytest.mark.parametrize("kwargs,message", [
    ({"activation": "softmax"}, "unknown activation 'softmax'"),
    ({"eps": 0.0}, "eps must be a number above 0"),
    ({"seed": -1}, "seed must be a whole number"),
    ({"n_hidden": 0}, "n_hidden must be a whole number from 1 to 16"),
])
def test_bad_arguments_say_what_is_allowed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        recurrent_layer_check(**kwargs)


# --- BPTT step by step --------------------------------------------------------------------------


def _model(**kw) -> SequenceModel:
    model = SequenceModel(Config(hidden=5, **kw), rng=np.random.default_rng(2))
    for p in model.params.values():
        if p.ndim == 1:
            p += 0.3  # non-zero biases
    return model


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("source", ["all", "last"])
def test_per_step_gradients_agree_with_the_model_backward(layers, source):
    model = _model(layers=layers, activation="tanh")
    batch = data.make_batch([127, 5], [1, 9], 8)
    g = sum_gradients(model, batch, "bce", source)
    norms = np.stack([np.sqrt((dh ** 2).sum(axis=(1, 2))) for dh in g.dh])
    np.testing.assert_allclose(norms, g.dh_norm, rtol=1e-12, err_msg="per-step norms vs backward")
    grads, _ = model.backward(model.forward(batch.x), g.dz)
    for l in range(layers):  # the recurrent weight gradient is summed from the deltas
        h = model.forward(batch.x).layers[l].h
        dWhh = np.einsum("tbi,tbj->ij", h[:-1], g.dpre[l][1:])
        np.testing.assert_allclose(dWhh, grads[f"L{l + 1}.Whh"], rtol=1e-10, atol=1e-15,
                                   err_msg=f"layer {l + 1}")


def test_per_step_deltas_match_central_differences_of_the_inputs():
    # dLoss/dx_t = dpre_t @ Wxh.T in the first layer: check it numerically, step by step.
    model = _model(layers=2, activation="sigmoid")
    batch = data.make_batch([100], [27], 8)
    y = np.swapaxes(batch.y, 0, 1)
    g = sum_gradients(model, batch, "mse")
    want = (g.dpre[0] @ model.params["L1.Wxh"].T)[:, 0]  # (T, I)
    x = batch.x.copy()
    num = np.zeros_like(want)
    eps = 1e-6
    for t in range(x.shape[1]):
        for i in range(x.shape[2]):
            old = x[0, t, i]
            x[0, t, i] = old + eps
            up = losses.mse(model.forward(x).z, y)[0]
            x[0, t, i] = old - eps
            down = losses.mse(model.forward(x).z, y)[0]
            x[0, t, i] = old
            num[t, i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(num, want, rtol=1e-6, atol=1e-12)


def test_the_last_bits_error_fades_going_back_in_time():
    model = _model(activation="sigmoid")
    g = sum_gradients(model, data.make_batch([127], [1], 8), source="last")
    norms = g.dh_norm[0]
    assert np.all(np.diff(norms) > 0), norms  # smaller and smaller towards the first bit
    assert norms[0] < 1e-3 * norms[-1]
    assert g.loss == pytest.approx(sum_gradients(model, data.make_batch([127], [1], 8)).loss)


def test_gated_cells_get_norms_only():
    model = SequenceModel(Config(cell="lstm", hidden=4, layers=2))
    g = sum_gradients(model, data.make_batch([3], [4], 6))
    assert not g.has_deltas
    assert g.dh_norm.shape == (2, 6) and np.all(g.dh_norm > 0)


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source must be one of all, last"):
        sum_gradients(_model(), data.make_batch([1], [1], 4), source="first")
