"""LSTM and GRU cells: gradients, trace contents, dropout, learning, save/load."""

import io
import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine import checkpoint, data, gradcheck
from engine.cells.gru import GRUCell
from engine.cells.lstm import LSTMCell
from engine.config import Config, preset
from engine.model import CELLS, SequenceModel
from engine.train import Trainer

GATED = ["lstm", "gru"]
VARIANTS = list(itertools.product(GATED, ["mse", "bce"], [True, False]))  # cell, loss, bias


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def assert_gradients_match(config: Config) -> None:
    rows = gradcheck.check_model(config)
    assert {r.name for r in rows} == set(SequenceModel(config).param_shapes())
    for r in rows:
        assert_allclose(r.rel_error, 0.0, atol=gradcheck.THRESHOLD,
                        err_msg=f"gradient of {r.name} {r.shape} disagrees with central differences "
                                f"(max abs error {r.max_abs_error:.2e}) for {config}")


def some_batch(bits=6, batch=5, seed=3):
    return data.random_batch(np.random.default_rng(seed), batch, bits)


# --- gradients ---------------------------------------------------------------

@pytest.mark.parametrize(("cell", "loss", "bias"), VARIANTS)
def test_gradients_match_finite_differences(cell, loss, bias):
    assert_gradients_match(Config(cell=cell, hidden=5, loss=loss, bias=bias))


@pytest.mark.parametrize(("cell", "layers"), list(itertools.product(GATED, [2, 3])))
def test_gradients_match_for_stacked_layers(cell, layers):
    assert_gradients_match(Config(cell=cell, hidden=4, layers=layers, loss="mse"))


@pytest.mark.parametrize(("cell", "loss", "bias"), VARIANTS)
def test_gradients_match_with_dropout(cell, loss, bias):
    assert_gradients_match(Config(cell=cell, hidden=4, layers=2, keep_prob=0.6, loss=loss, bias=bias))


def test_lstm_gradients_match_with_a_nonzero_forget_offset_and_no_biases():
    assert_gradients_match(Config(cell="lstm", hidden=4, layers=2, bias=False, forget_bias=-1.5))


# --- the maths against a plain per-step reference -----------------------------

def reference_lstm(p, x, forget_offset=0.0):
    """Batch-major LSTM written the obvious way, blocks o, i, f, g."""
    T, B, _ = x.shape
    H = p["Wh"].shape[0]
    h, c, hs = np.zeros((B, H)), np.zeros((B, H)), []
    for t in range(T):
        a = x[t] @ p["Wx"] + h @ p["Wh"] + p.get("b", 0.0)
        o, i = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
        f, g = sigmoid(a[:, 2 * H:3 * H] + forget_offset), np.tanh(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs)


def reference_gru(p, x):
    """Batch-major GRU written the obvious way, blocks z, r, n, reset after the product."""
    T, B, _ = x.shape
    H = p["Wh"].shape[0]
    h, hs = np.zeros((B, H)), []
    for t in range(T):
        u = x[t] @ p["Wx"] + p.get("b", 0.0)
        v = h @ p["Wh"]
        z, r = sigmoid(u[:, :H] + v[:, :H]), sigmoid(u[:, H:2 * H] + v[:, H:2 * H])
        n = np.tanh(u[:, 2 * H:] + r * (v[:, 2 * H:] + p.get("bhn", 0.0)))
        h = (1 - z) * n + z * h
        hs.append(h)
    return np.stack(hs)


def random_params(cell, rng):
    p = cell.init_params(rng)
    for v in p.values():
        v += rng.normal(0.0, 0.5, size=v.shape)
    return p


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_computes_the_documented_cell(bias):
    rng = np.random.default_rng(0)
    cell = LSTMCell(3, 5, bias=bias, forget_bias=0.7)
    p = random_params(cell, rng)
    x = rng.normal(size=(6, 4, 3))
    want = reference_lstm(p, x, forget_offset=0.0 if bias else 0.7)
    assert_allclose(cell.forward(p, x).h, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bias", [True, False])
def test_gru_computes_the_documented_cell(bias):
    rng = np.random.default_rng(1)
    cell = GRUCell(3, 5, bias=bias)
    p = random_params(cell, rng)
    x = rng.normal(size=(6, 4, 3))
    assert_allclose(cell.forward(p, x).h, reference_gru(p, x), rtol=1e-12, atol=1e-14)


def test_lstm_forget_bias_initialises_only_the_forget_block():
    H = 6
    p = LSTMCell(2, H, forget_bias=1.0).init_params(np.random.default_rng(0))
    blocks = dict(zip(("o", "i", "f", "g"), p["b"].reshape(4, H), strict=True))
    assert_array_equal(blocks["f"], np.ones(H))
    for name in ("o", "i", "g"):
        assert_array_equal(blocks[name], np.zeros(H), err_msg=f"{name} block should start at zero")


def test_model_builds_cells_with_the_configured_forget_bias():
    m = SequenceModel(Config(cell="lstm", hidden=3, layers=2, forget_bias=-2.0))
    for l in (1, 2):
        assert_array_equal(m.params[f"L{l}.b"][6:9], [-2.0] * 3)


def test_cells_are_registered_with_their_parameters():
    assert CELLS["lstm"] is LSTMCell and CELLS["gru"] is GRUCell
    assert SequenceModel(Config(cell="lstm", hidden=4, layers=2)).param_shapes() == {
        "L1.Wx": (2, 16), "L1.Wh": (4, 16), "L1.b": (16,),
        "L2.Wx": (4, 16), "L2.Wh": (4, 16), "L2.b": (16,), "Why": (4, 1), "by": (1,)}
    assert SequenceModel(Config(cell="gru", hidden=4, bias=False)).param_shapes() == {
        "L1.Wx": (2, 12), "L1.Wh": (4, 12), "Why": (4, 1)}


# --- traces ------------------------------------------------------------------

@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_trace_holds_gates_and_cell_state(layers):
    b = some_batch()
    tr = SequenceModel(Config(cell="lstm", hidden=7, layers=layers)).forward(b.x)
    T, B, H = 6, 5, 7
    for layer in tr.layers:
        for k in ("i", "f", "o", "g", "c", "tanh_c", "h"):
            assert getattr(layer, k).shape == (T, B, H), k
        assert layer.gates.shape == (T, B, 4 * H)
        for k in ("i", "f", "o"):
            assert ((getattr(layer, k) >= 0) & (getattr(layer, k) <= 1)).all(), f"gate {k} outside [0, 1]"
        assert (np.abs(layer.g) <= 1).all()
        c_prev = np.concatenate([np.zeros((1, B, H)), layer.c[:-1]])
        assert_allclose(layer.c, layer.f * c_prev + layer.i * layer.g, rtol=1e-12)
        assert_allclose(layer.h, layer.o * np.tanh(layer.c), rtol=1e-12)
        assert_allclose(layer.gates[..., 2 * H:3 * H], layer.f)


@pytest.mark.parametrize("layers", [1, 2])
def test_gru_trace_holds_gates(layers):
    b = some_batch()
    tr = SequenceModel(Config(cell="gru", hidden=7, layers=layers)).forward(b.x)
    T, B, H = 6, 5, 7
    for layer in tr.layers:
        for k in ("z", "r", "n", "hn", "h"):
            assert getattr(layer, k).shape == (T, B, H), k
        assert layer.gates.shape == (T, B, 3 * H)
        for k in ("z", "r"):
            assert ((getattr(layer, k) >= 0) & (getattr(layer, k) <= 1)).all(), f"gate {k} outside [0, 1]"
        h_prev = np.concatenate([np.zeros((1, B, H)), layer.h[:-1]])
        want = (1 - layer.z) * layer.n + layer.z * h_prev
        assert_allclose(layer.h, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell", GATED)
def test_dh_norm_has_one_row_per_layer_and_step(cell):
    m = SequenceModel(Config(cell=cell, hidden=4, layers=2))
    tr = m.forward(some_batch().x)
    _, norms = m.backward(tr, np.ones_like(tr.z))
    assert norms.shape == (2, 6) and (norms > 0).all()


# --- dropout -----------------------------------------------------------------

@pytest.mark.parametrize("cell", GATED)
def test_dropout_is_off_at_evaluation(cell):
    m = SequenceModel(Config(cell=cell, hidden=6, layers=2, keep_prob=0.5))
    x = some_batch().x
    a, b = m.forward(x), m.forward(x)
    assert a.masks == (None, None)
    assert_array_equal(a.p, b.p)
    assert_array_equal(m.predict(x), a.probs())


@pytest.mark.parametrize("cell", GATED)
def test_dropout_masks_every_layer_output_while_training(cell):
    keep = 0.5
    m = SequenceModel(Config(cell=cell, hidden=6, layers=2, keep_prob=keep))
    x = some_batch().x
    tr = m.forward(x, rng=np.random.default_rng(0))
    for mask in tr.masks:
        assert mask.shape == (6, 5, 6)
        assert set(np.unique(mask)) == {0.0, 1.0 / keep}
    # the read-out sees the masked top layer; the second layer the masked first
    z = (tr.layers[1].h * tr.masks[1]) @ m.params["Why"] + m.params["by"]
    assert_allclose(tr.z, z, rtol=1e-12)
    assert not np.allclose(tr.p, m.forward(x).p)


# --- float32 weights ----------------------------------------------------------

@pytest.mark.parametrize("cell", GATED)
def test_float32_models_compute_in_float32_and_agree_with_float64(cell):
    cfg = Config(cell=cell, hidden=6, layers=2)
    m64 = SequenceModel(cfg)
    m32 = SequenceModel(cfg.replace(dtype="float32"), params=m64.params)
    assert all(v.dtype == np.float32 for v in m32.params.values())
    b = some_batch()
    t64, t32 = m64.forward(b.x), m32.forward(b.x)
    assert t32.layers[0].h.dtype == np.float32
    assert_allclose(t32.p, t64.p, rtol=1e-5)
    dz = np.ones_like(t64.z)
    g64, _ = m64.backward(t64, dz)
    g32, _ = m32.backward(t32, dz)
    for k in g64:
        assert_allclose(g32[k], g64[k], rtol=1e-3, atol=1e-5, err_msg=k)


# --- learning ----------------------------------------------------------------

def test_lstm_preset_solves_every_8_bit_sum_with_a_shorter_budget():
    # The preset (2 x 20, dropout keep 0.5, Adam 0.001, mse, batch 64) with seed 0
    # is exact on all 16384 pairs from step 850 on; 1300 steps leave a margin and
    # take a few seconds (the full preset's 2000 steps are checked by hand).
    cfg = preset("lstm").replace(steps=1300, eval_every=1300, seed=0)
    tr = Trainer(cfg)
    tr.run()
    m = tr.metrics()
    assert m["exact_accuracy"] == 1.0, m
    assert m["eval_loss"] < 0.01, m


def test_gru_learns_8_bit_addition():
    tr = Trainer(Config(cell="gru", steps=200, eval_every=200, seed=0))
    tr.run()
    assert tr.metrics()["exact_accuracy"] == 1.0, tr.metrics()


# --- save / load ---------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_save_then_load_gives_identical_predictions(cell):
    model = SequenceModel(Config(cell=cell, hidden=5, layers=2, keep_prob=0.5))
    buf = io.BytesIO()
    checkpoint.save(buf, model)
    loaded = checkpoint.load(io.BytesIO(buf.getvalue()))
    assert loaded.config == model.config
    x = data.eval_set(8).x[:300]
    assert_array_equal(loaded.predict(x), model.predict(x))


# --- against PyTorch (optional) -------------------------------------------------

def test_cells_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    I, H = 3, 4
    x = rng.normal(size=(5, 2, I))
    xt = torch.from_numpy(x)

    lstm = LSTMCell(I, H)
    p = random_params(lstm, rng)
    tl = torch.nn.LSTM(I, H).double()
    perm = np.r_[np.arange(H, 3 * H), np.arange(3 * H, 4 * H), np.arange(0, H)]  # torch: i, f, g, o
    with torch.no_grad():
        tl.weight_ih_l0.copy_(torch.from_numpy(p["Wx"][:, perm].T))
        tl.weight_hh_l0.copy_(torch.from_numpy(p["Wh"][:, perm].T))
        tl.bias_ih_l0.copy_(torch.from_numpy(p["b"][perm]))
        tl.bias_hh_l0.zero_()
        assert_allclose(lstm.forward(p, x).h, tl(xt)[0].numpy(), rtol=1e-10, atol=1e-12)

    gru = GRUCell(I, H)
    p = random_params(gru, rng)
    tg = torch.nn.GRU(I, H).double()
    perm = np.r_[np.arange(H, 2 * H), np.arange(0, H), np.arange(2 * H, 3 * H)]  # torch: r, z, n
    with torch.no_grad():
        tg.weight_ih_l0.copy_(torch.from_numpy(p["Wx"][:, perm].T))
        tg.weight_hh_l0.copy_(torch.from_numpy(p["Wh"][:, perm].T))
        tg.bias_ih_l0.copy_(torch.from_numpy(p["b"][perm]))
        tg.bias_hh_l0.copy_(torch.from_numpy(np.r_[np.zeros(2 * H), p["bhn"]]))
        assert_allclose(gru.forward(p, x).h, tg(xt)[0].numpy(), rtol=1e-10, atol=1e-12)
