"""The long short-term memory layer (Hochreiter & Schmidhuber, 1997, with a forget gate).

For every step ``t``, with ``a_t = x_t Wx + h_{t-1} Wh + b`` split into four
column blocks::

    o_t = sigmoid(a_o)        output gate
    i_t = sigmoid(a_i)        input gate
    f_t = sigmoid(a_f)        forget gate
    g_t = tanh(a_g)           candidate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

with ``h_0 = c_0 = 0``. Parameters: ``Wx`` (I, 4H), ``Wh`` (H, 4H) and ``b``
(4H,), their columns in the block order of :data:`GATES` (``o, i, f, g``: the
three sigmoid gates side by side, then the candidate). The forget block of
``b`` starts at ``forget_bias`` (1.0 by default, so a fresh cell keeps its
memory). Without learned biases (``bias=False``) ``forget_bias`` is added to
the forget gate as a fixed offset instead, as TensorFlow's basic LSTM cell does.

Speed (the layer is small, so NumPy's per-call cost and memory layout matter
more than arithmetic):

- internally every array is feature-major, ``(T, features, B)``: then each
  gate of a step is one contiguous ``(H, B)`` block, and element-wise calls on
  it run at full speed (a gate column block of a batch-major ``(B, 4H)`` row
  is strided and several times slower). The trace exposes ``(T, B, H)`` views
  of these buffers, so nothing is copied;
- the input projection of every step (bias included, as the weight of a
  constant input 1) is one batched product before the loop; each step is one
  product for all four gates and nine element-wise calls, in place on
  preallocated buffers; sigmoid is ``(1 + tanh(a / 2)) / 2`` with the halving
  folded into the weights, so one ``tanh`` covers all four blocks;
- the backward pass computes every step's local derivatives in a few calls
  before its loop (seven calls and one product per step), and one product
  after it gives the gradients of ``Wx``, ``b`` and ``Wh`` together;
- the arithmetic runs in the weights' dtype: float64 (the engine's default,
  needed by the gradient check) or float32 if the parameters are float32
  (about 1.4x faster per training step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.cells.trace import LayerTrace
from engine.init import weight

GATES = ("o", "i", "f", "g")  # column blocks of Wx, Wh and b, in order
_O, _I, _F, _G = range(4)
_TB = (0, 2, 1)  # swaps (T, B, H) and (T, H, B)


def feature_major(a: np.ndarray, dtype) -> np.ndarray:
    """``(T, B, n)`` as a contiguous ``(T, n, B)`` array (free for the views a cell's trace holds)."""
    return np.ascontiguousarray(a.transpose(_TB), dtype=dtype)


def input_projection(x: np.ndarray, Wx: np.ndarray, b: np.ndarray | None, scale: np.ndarray,
                     dtype) -> np.ndarray:
    """``(x_t Wx + b) * scale`` of every step at once, feature-major ``(T, n, B)`` for ``x`` ``(T, B, I)``.

    The bias (None: none) enters as the weight of a constant input 1, so the
    whole projection is one batched product; ``scale`` ``(n, 1)`` multiplies the
    rows (the gated cells halve their sigmoid blocks with it).
    """
    if b is None:
        return np.matmul(Wx.T * scale, x.transpose(_TB).astype(dtype, copy=False))
    T, B, I = x.shape
    xa = np.empty((T, I + 1, B), dtype=dtype)
    xa[:, :I] = x.transpose(_TB)
    xa[:, I] = 1.0
    Wa = np.empty((Wx.shape[1], I + 1), dtype=dtype)
    Wa[:, :I] = Wx.T
    Wa[:, I] = b
    Wa *= scale
    return np.matmul(Wa, xa)


@dataclass(frozen=True)
class LSTMTrace(LayerTrace):
    """One LSTM layer's forward pass, every step stacked.

    The arrays are views of feature-major buffers (see the module notes); copy
    them before writing to them.

    Attributes
    ----------
    h : (T, B, H) hidden states ``o * tanh(c)``
    i, f, o : (T, B, H) the input, forget and output gates
    g : (T, B, H) the candidate
    c : (T, B, H) the cell state ``f * c_{t-1} + i * g``
    tanh_c : (T, B, H) ``tanh(c)``
    gates : (T, B, 4H) the four blocks side by side, in :data:`GATES` order
    """

    h: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    gates: np.ndarray


class LSTMCell:
    """One LSTM layer; its forward returns an :class:`LSTMTrace`."""

    kind = "lstm"

    def __init__(self, n_in: int, n_hidden: int, activation: str = "tanh", bias: bool = True,
                 init: str = "xavier", forget_bias: float = 1.0, **_):
        # ``activation`` is accepted for a uniform constructor; the LSTM's are fixed.
        self.n_in, self.n_hidden, self.bias, self.init = n_in, n_hidden, bias, init
        self.forget_bias = float(forget_bias)
        self._scale = np.ones((4 * n_hidden, 1))  # halves the sigmoid blocks' pre-activations
        self._scale[: 3 * n_hidden] = 0.5

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        H = self.n_hidden
        shapes = {"Wx": (self.n_in, 4 * H), "Wh": (H, 4 * H)}
        if self.bias:
            shapes["b"] = (4 * H,)
        return shapes

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Weights drawn as one ``(I + H, 4H)`` kernel (fan-in and fan-out of the whole
        cell, as TensorFlow does) and split; biases zero but the forget block."""
        I, H = self.n_in, self.n_hidden
        W = weight(rng, (I + H, 4 * H), self.init)
        p = {"Wx": W[:I].copy(), "Wh": W[I:].copy()}
        if self.bias:
            p["b"] = np.zeros(4 * H)
            p["b"][_F * H:(_F + 1) * H] = self.forget_bias
        return p

    def forward(self, p: dict[str, np.ndarray], x: np.ndarray) -> LSTMTrace:
        """Run the layer over ``x`` ``(T, B, I)``; returns its trace."""
        T, B, _ = x.shape
        H = self.n_hidden
        dt = p["Wh"].dtype
        s = self._scale.astype(dt, copy=False)
        # input part of the (halved) pre-activations of every step, (T, 4H, B)
        gates = input_projection(x, p["Wx"], p["b"] if self.bias else None, s, dt)
        if not self.bias and self.forget_bias:
            gates[:, _F * H:(_F + 1) * H] += 0.5 * self.forget_bias
        WhT = p["Wh"].T * s  # (4H, H)
        c = np.empty((T, H, B), dtype=dt)
        tanh_c = np.empty_like(c)
        h = np.empty_like(c)
        rec = np.empty((4 * H, B), dtype=dt)
        ig = np.empty((H, B), dtype=dt)
        blocks = gates.reshape(T, 4, H, B)
        O, I_, F, G = (blocks[:, k] for k in range(4))
        sigs = gates[:, : 3 * H]
        for t in range(T):
            a = gates[t]
            if t:
                np.matmul(WhT, h[t - 1], out=rec)
                a += rec
            np.tanh(a, out=a)
            sig = sigs[t]
            sig *= 0.5
            sig += 0.5
            o, i, f, g = O[t], I_[t], F[t], G[t]
            ct, tc = c[t], tanh_c[t]
            np.multiply(i, g, out=ct)
            if t:
                np.multiply(f, c[t - 1], out=ig)
                ct += ig
            np.tanh(ct, out=tc)
            np.multiply(o, tc, out=h[t])
        return LSTMTrace(
            h=h.transpose(_TB), i=blocks[:, _I].transpose(_TB), f=blocks[:, _F].transpose(_TB),
            g=blocks[:, _G].transpose(_TB), o=blocks[:, _O].transpose(_TB), c=c.transpose(_TB),
            tanh_c=tanh_c.transpose(_TB), gates=gates.transpose(_TB))

    def backward(self, p: dict[str, np.ndarray], x: np.ndarray, tr: LSTMTrace,
                 dh_out: np.ndarray, need_dx: bool = True):
        """Backpropagation through time: ``(dx, grads, dh_norm)`` from the same arguments as
        :meth:`engine.cells.rnn.RNNCell.backward` (which documents them)."""
        dt = p["Wh"].dtype
        gates = feature_major(tr.gates, dt)  # (T, 4H, B)
        c, tanh_c, h = (feature_major(a, dt) for a in (tr.c, tr.tanh_c, tr.h))  # (T, H, B)
        dh_out = feature_major(dh_out, dt)
        T, H, B = h.shape
        blocks = gates.reshape(T, 4, H, B)
        o, i, f, g = (blocks[:, k] for k in range(4))
        # Local derivatives of every step at once: the pre-activation gradient
        # of step t is dh_t * m_o in the o block and dc_t * m_{i,f,g} in the others.
        m = np.empty_like(gates)
        ms, s3 = m[:, : 3 * H], gates[:, : 3 * H]
        np.multiply(s3, s3, out=ms)
        np.subtract(s3, ms, out=ms)  # sigmoid' = s (1 - s) on o, i, f
        m4 = m.reshape(T, 4, H, B)
        mg = m4[:, _G]
        np.multiply(g, g, out=mg)
        np.subtract(1.0, mg, out=mg)  # tanh' on the candidate
        mg *= i
        m4[:, _O] *= tanh_c
        m4[:, _I] *= g
        m4[1:, _F] *= c[:-1]
        m4[0, _F] = 0.0  # c_0 = 0
        dc_dh = np.multiply(tanh_c, tanh_c)  # d c_t / d h_t through h = o tanh(c)
        np.subtract(1.0, dc_dh, out=dc_dh)
        dc_dh *= o

        Wh = p["Wh"]
        da = np.empty_like(gates)  # (T, 4H, B) gradient w.r.t. the pre-activations
        da4 = da.reshape(T, 4, H, B)
        dh = np.empty_like(h)  # full gradient reaching h_t
        dc = np.empty((H, B), dtype=dt)
        dc_next = np.zeros((H, B), dtype=dt)
        dh_next = np.zeros((H, B), dtype=dt)
        for t in range(T - 1, -1, -1):
            dht, dat, mt = dh[t], da4[t], m4[t]
            np.add(dh_out[t], dh_next, out=dht)
            np.multiply(dht, dc_dh[t], out=dc)
            dc += dc_next
            np.multiply(dht, mt[_O], out=dat[_O])
            np.multiply(dc, mt[_I:], out=dat[_I:])
            if t:
                np.matmul(Wh, da[t], out=dh_next)
                np.multiply(dc, f[t], out=dc_next)

        da_f = da.transpose(1, 0, 2).reshape(4 * H, T * B)  # (4H, T*B), one copy
        # rows: the inputs, a constant 1 (for b) and h_{t-1} (zero at t = 0)
        I = x.shape[2]
        k = I + 1 if self.bias else I
        xh = np.empty((k + H, T, B), dtype=dt)
        xh[:I] = x.transpose(2, 0, 1)
        if self.bias:
            xh[I] = 1.0
        xh[k:, 0] = 0.0
        xh[k:, 1:] = h[:-1].transpose(1, 0, 2)
        dW = xh.reshape(k + H, T * B) @ da_f.T  # (I [+ 1] + H, 4H)
        grads = {"Wx": dW[:I], "Wh": dW[k:]}
        if self.bias:
            grads["b"] = dW[I]
        dx = (p["Wx"] @ da_f).reshape(I, T, B).transpose(1, 2, 0) if need_dx else None
        dh_norm = np.sqrt(np.einsum("thb,thb->t", dh, dh))
        return dx, grads, dh_norm
