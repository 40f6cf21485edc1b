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

Speed: the input projection of every step is one matrix product before the
loop; each step is one matrix product for all four gates and a few in-place
element-wise calls (sigmoid is evaluated as ``(1 + tanh(a / 2)) / 2`` with the
halving folded into the weights, so one ``tanh`` covers all four blocks); the
weight gradients are one product each after the loop.
"""

from __future__ import annotations

import numpy as np

from engine.init import weight

GATES = ("o", "i", "f", "g")  # column blocks of Wx, Wh and b, in order
_O, _I, _F, _G = range(4)


class LSTMCell:
    """One LSTM layer.

    The layer's trace entry holds, each ``(T, B, H)``: the gates ``i``, ``f``,
    ``o``, the candidate ``g``, the cell state ``c``, its ``tanh_c`` and the
    hidden state ``h``; plus ``gates`` ``(T, B, 4H)``, the four blocks in
    :data:`GATES` order (``i``, ``f``, ``o``, ``g`` are views into it).
    """

    kind = "lstm"

    def __init__(self, n_in: int, n_hidden: int, activation: str = "tanh", bias: bool = True,
                 init: str = "xavier", forget_bias: float = 1.0, **_):
        # ``activation`` is accepted for a uniform constructor; the LSTM's are fixed.
        self.n_in, self.n_hidden, self.bias, self.init = n_in, n_hidden, bias, init
        self.forget_bias = float(forget_bias)
        H = n_hidden
        self._scale = np.ones(4 * H)  # halves the sigmoid blocks' pre-activations
        self._scale[: 3 * H] = 0.5

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

    def forward(self, p: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
        """Run the layer over ``x`` ``(T, B, I)``; returns its trace entry."""
        T, B, _ = x.shape
        H = self.n_hidden
        s = self._scale
        gates = x @ (p["Wx"] * s)  # (T, B, 4H) input part of the (scaled) pre-activations
        if self.bias:
            gates += p["b"] * s
        elif self.forget_bias:
            gates[..., _F * H:(_F + 1) * H] += 0.5 * self.forget_bias
        Wh = p["Wh"] * s
        c = np.empty((T, B, H), dtype=gates.dtype)
        tanh_c = np.empty_like(c)
        h = np.empty_like(c)
        rec = np.empty((B, 4 * H), dtype=gates.dtype)
        ig = np.empty((B, H), dtype=gates.dtype)
        sig = gates[..., : 3 * H]  # (T, B, 3H) the sigmoid blocks
        o, i, f, g = (gates[..., k * H:(k + 1) * H] for k in range(4))
        for t in range(T):
            a = gates[t]
            if t:
                np.matmul(h[t - 1], Wh, out=rec)
                a += rec
            np.tanh(a, out=a)
            st = sig[t]
            st *= 0.5
            st += 0.5
            if t:
                np.multiply(f[t], c[t - 1], out=c[t])
                np.multiply(i[t], g[t], out=ig)
                c[t] += ig
            else:
                np.multiply(i[t], g[t], out=c[t])
            np.tanh(c[t], out=tanh_c[t])
            np.multiply(o[t], tanh_c[t], out=h[t])
        return {"i": i, "f": f, "o": o, "g": g, "c": c, "tanh_c": tanh_c, "h": h, "gates": gates}

    def backward(self, p: dict[str, np.ndarray], x: np.ndarray, tr: dict[str, np.ndarray],
                 dh_out: np.ndarray, need_dx: bool = True):
        """Backpropagation through time.

        Parameters
        ----------
        p : this layer's parameters
        x : (T, B, I) the layer's input
        tr : the layer's trace entry from :meth:`forward`
        dh_out : (T, B, H) gradient of the loss w.r.t. each ``h_t`` from above

        Returns
        -------
        dx : (T, B, I) gradient w.r.t. the input, or None when not needed
        grads : dict of gradients keyed like ``p``
        dh_norm : (T,) norm of the full gradient reaching each ``h_t``
        """
        gates, c, tanh_c, h = tr["gates"], tr["c"], tr["tanh_c"], tr["h"]
        T, B, H = h.shape
        o, i, f, g = tr["o"], tr["i"], tr["f"], tr["g"]
        # Local derivatives of every step at once. Per step, the pre-activation
        # gradient is da_o = dh * mult_o and da_{i,f,g} = dc * mult_{i,f,g}.
        mult = gates * (1.0 - gates)  # (T, B, 4H) sigmoid' on o, i, f
        m4 = mult.reshape(T, B, 4, H)
        m4[:, :, _G] = 1.0 - g * g  # tanh' on the candidate
        m4[:, :, _O] *= tanh_c
        m4[:, :, _I] *= g
        m4[1:, :, _F] *= c[:-1]
        m4[0, :, _F] = 0.0  # c_0 = 0
        m4[:, :, _G] *= i
        dc_dh = o * (1.0 - tanh_c * tanh_c)  # (T, B, H) d c_t / d h_t through h = o tanh(c)

        WhT = np.ascontiguousarray(p["Wh"].T)
        da = np.empty_like(gates)  # (T, B, 4H) gradient w.r.t. the pre-activations
        da4 = da.reshape(T, B, 4, H)
        dh = np.empty_like(h)  # full gradient reaching h_t
        dc = np.empty((B, H), dtype=h.dtype)
        dc_next = np.zeros((B, H), dtype=h.dtype)
        dh_next = np.zeros((B, H), dtype=h.dtype)
        for t in range(T - 1, -1, -1):
            np.add(dh_out[t], dh_next, out=dh[t])
            np.multiply(dh[t], dc_dh[t], out=dc)
            dc += dc_next
            np.multiply(dh[t], m4[t, :, _O], out=da4[t, :, _O])
            np.multiply(dc[:, None, :], m4[t, :, _I:], out=da4[t, :, _I:])
            if t:
                np.matmul(da[t], WhT, out=dh_next)
                np.multiply(dc, f[t], out=dc_next)
        TB = T * B
        da2 = da.reshape(TB, 4 * H)
        grads = {
            "Wx": x.reshape(TB, -1).T @ da2,
            "Wh": h[:-1].reshape(-1, H).T @ da[1:].reshape(-1, 4 * H),
        }
        if self.bias:
            grads["b"] = da2.sum(axis=0)
        dx = (da2 @ p["Wx"].T).reshape(T, B, -1) if need_dx else None
        dh_norm = np.sqrt(np.einsum("tbh,tbh->t", dh, dh))
        return dx, grads, dh_norm
