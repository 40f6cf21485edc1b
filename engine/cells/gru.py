"""The gated recurrent unit (Cho et al., 2014), in the "reset after" form of cuDNN and PyTorch.

For every step ``t``, with the input part ``u_t = x_t Wx + b`` and the
recurrent part ``v_t = h_{t-1} Wh`` split into three column blocks::

    z_t = sigmoid(u_z + v_z)                    update gate
    r_t = sigmoid(u_r + v_r)                    reset gate
    n_t = tanh(u_n + r_t * (v_n + bhn))         candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

with ``h_0 = 0``. The reset gate scales the recurrent contribution after the
matrix product, so one product per step serves all three blocks. Parameters:
``Wx`` (I, 3H), ``Wh`` (H, 3H), ``b`` (3H,) and ``bhn`` (H,) (the last two only
with biases), columns in the block order of :data:`GATES` (``z, r, n``).
PyTorch's ``nn.GRU`` is the same cell with its biases ``b_ih, b_hh`` folded as
``b = b_ih + [b_hh_z, b_hh_r, 0]`` and ``bhn = b_hh_n`` (and its blocks ordered
``r, z, n``).

Speed: as in :mod:`engine.cells.lstm`, arrays are feature-major ``(T, features, B)``
inside (the trace holds ``(T, B, H)`` views), each step is one matrix product
and a dozen in-place element-wise calls, and the arithmetic runs in the
weights' dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.cells.lstm import _TB, feature_major, input_projection
from engine.cells.trace import LayerTrace
from engine.init import weight

GATES = ("z", "r", "n")  # column blocks of Wx, Wh and b, in order
_Z, _R, _N = range(3)


@dataclass(frozen=True)
class GRUTrace(LayerTrace):
    """One GRU layer's forward pass, every step stacked.

    The arrays are views of feature-major buffers; copy them before writing.

    Attributes
    ----------
    h : (T, B, H) hidden states ``(1 - z) * n + z * h_{t-1}``
    z, r : (T, B, H) the update and reset gates
    n : (T, B, H) the candidate
    hn : (T, B, H) the recurrent part of the candidate's pre-activation before the
        reset gate, ``h_{t-1} Whn + bhn``
    gates : (T, B, 3H) the blocks side by side, in :data:`GATES` order
    """

    h: np.ndarray
    z: np.ndarray
    r: np.ndarray
    n: np.ndarray
    hn: np.ndarray
    gates: np.ndarray


class GRUCell:
    """One GRU layer; its forward returns a :class:`GRUTrace`."""

    kind = "gru"

    def __init__(self, n_in: int, n_hidden: int, activation: str = "tanh", bias: bool = True,
                 init: str = "xavier", **_):
        # ``activation`` is accepted for a uniform constructor; the GRU's are fixed.
        self.n_in, self.n_hidden, self.bias, self.init = n_in, n_hidden, bias, init
        self._scale = np.ones((3 * n_hidden, 1))  # halves the sigmoid blocks' pre-activations
        self._scale[: 2 * n_hidden] = 0.5

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        H = self.n_hidden
        shapes = {"Wx": (self.n_in, 3 * H), "Wh": (H, 3 * H)}
        if self.bias:
            shapes["b"] = (3 * H,)
            shapes["bhn"] = (H,)
        return shapes

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Weights drawn as one ``(I + H, 3H)`` kernel and split; biases zero."""
        I, H = self.n_in, self.n_hidden
        W = weight(rng, (I + H, 3 * H), self.init)
        p = {"Wx": W[:I].copy(), "Wh": W[I:].copy()}
        if self.bias:
            p["b"] = np.zeros(3 * H)
            p["bhn"] = np.zeros(H)
        return p

    def forward(self, p: dict[str, np.ndarray], x: np.ndarray) -> GRUTrace:
        """Run the layer over ``x`` ``(T, B, I)``; returns its trace."""
        T, B, I = x.shape
        H = self.n_hidden
        dt = p["Wh"].dtype
        s = self._scale.astype(dt, copy=False)
        # input part of the pre-activations (sigmoid blocks halved), (T, 3H, B)
        gates = input_projection(x, p["Wx"], p["b"] if self.bias else None, s, dt)
        bhn = p["bhn"][:, None] if self.bias else 0.0
        WhT = p["Wh"].T * s  # (3H, H)
        hn = np.empty((T, H, B), dtype=dt)
        hn[0] = bhn  # h_0 = 0
        h = np.empty_like(hn)
        rec = np.empty((3 * H, B), dtype=dt)
        tmp = np.empty((H, B), dtype=dt)
        blocks = gates.reshape(T, 3, H, B)
        Z, R, N = (blocks[:, k] for k in range(3))
        sigs = gates[:, : 2 * H]
        for t in range(T):
            if t:
                np.matmul(WhT, h[t - 1], out=rec)
                sigs[t] += rec[: 2 * H]
                np.add(rec[2 * H:], bhn, out=hn[t])
            sig = sigs[t]
            np.tanh(sig, out=sig)
            sig *= 0.5
            sig += 0.5
            z, n = Z[t], N[t]
            np.multiply(R[t], hn[t], out=tmp)
            n += tmp
            np.tanh(n, out=n)
            if t:  # h = n + z * (h_prev - n)
                np.subtract(h[t - 1], n, out=tmp)
                tmp *= z
                np.add(n, tmp, out=h[t])
            else:
                np.multiply(z, n, out=tmp)
                np.subtract(n, tmp, out=h[t])
        return GRUTrace(h=h.transpose(_TB), z=Z.transpose(_TB), r=R.transpose(_TB), n=N.transpose(_TB),
                        hn=hn.transpose(_TB), gates=gates.transpose(_TB))

    def backward(self, p: dict[str, np.ndarray], x: np.ndarray, tr: GRUTrace,
                 dh_out: np.ndarray, need_dx: bool = True):
        """Backpropagation through time: ``(dx, grads, dh_norm)`` from the same arguments as
        :meth:`engine.cells.rnn.RNNCell.backward` (which documents them)."""
        dt = p["Wh"].dtype
        gates = feature_major(tr.gates, dt)  # (T, 3H, B)
        hn, h = feature_major(tr.hn, dt), feature_major(tr.h, dt)  # (T, H, B)
        dh_out = feature_major(dh_out, dt)
        T, H, B = h.shape
        blocks = gates.reshape(T, 3, H, B)
        z, r, n = (blocks[:, k] for k in range(3))
        # Local derivatives of every step at once. With dn = dh * (1 - z) * tanh'(n)
        # (the gradient w.r.t. the candidate's pre-activation), the gradient w.r.t.
        # the recurrent part [v_z, v_r, hn] of step t is [dh m_z, dn m_r, dn r]; the
        # input part u has dn instead of dn r in the candidate block.
        dn_dh = np.subtract(1.0, z)
        dn_dh *= 1.0 - n * n
        m = np.empty_like(blocks)  # (T, 3, H, B)
        mz = m[:, _Z]
        np.subtract(1.0, z, out=mz)
        mz *= z
        mz[0] *= -n[0]  # h_0 = 0
        mz[1:] *= h[:-1] - n[1:]
        mr = m[:, _R]
        np.subtract(1.0, r, out=mr)
        mr *= r
        mr *= hn
        m[:, _N] = r

        Wh = p["Wh"]
        dv = np.empty_like(gates)  # (T, 3H, B)
        dv4 = dv.reshape(T, 3, H, B)
        dn = np.empty_like(h)
        dh = np.empty_like(h)  # full gradient reaching h_t
        dh_next = np.zeros((H, B), dtype=dt)
        tmp = np.empty((H, B), dtype=dt)
        for t in range(T - 1, -1, -1):
            dht, dvt, mt = dh[t], dv4[t], m[t]
            np.add(dh_out[t], dh_next, out=dht)
            np.multiply(dht, mt[_Z], out=dvt[_Z])
            np.multiply(dht, dn_dh[t], out=dn[t])
            np.multiply(dn[t], mt[_R:], out=dvt[_R:])
            if t:
                np.matmul(Wh, dv[t], out=dh_next)
                np.multiply(dht, z[t], out=tmp)
                dh_next += tmp

        d_f = dv.transpose(1, 0, 2).reshape(3 * H, T * B)  # (3H, T*B), one copy
        h_f = h[:-1].transpose(1, 0, 2).reshape(H, -1)  # (H, (T-1)*B)
        dWh = h_f @ d_f[:, B:].T
        dbhn = d_f[2 * H:].sum(axis=1)
        d_f[2 * H:] = dn.transpose(1, 0, 2).reshape(H, T * B)  # now the input part's gradient
        I = x.shape[2]
        x_f = np.empty((I + 1 if self.bias else I, T * B), dtype=dt)  # inputs and the constant 1
        x_f[:I] = x.transpose(2, 0, 1).reshape(I, T * B)
        if self.bias:
            x_f[I] = 1.0
        dWxb = x_f @ d_f.T
        grads = {"Wx": dWxb[:I], "Wh": dWh}
        if self.bias:
            grads["b"], grads["bhn"] = dWxb[I], dbhn
        dx = (p["Wx"] @ d_f).reshape(I, T, B).transpose(1, 2, 0) if need_dx else None
        dh_norm = np.sqrt(np.einsum("thb,thb->t", dh, dh))
        return dx, grads, dh_norm
