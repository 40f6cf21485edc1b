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
"""

from __future__ import annotations

import numpy as np

from engine.init import weight

GATES = ("z", "r", "n")  # column blocks of Wx, Wh and b, in order
_Z, _R, _N = range(3)


class GRUCell:
    """One GRU layer.

    The layer's trace entry holds, each ``(T, B, H)``: the gates ``z`` and
    ``r``, the candidate ``n``, ``hn`` (the recurrent part of the candidate's
    pre-activation before the reset gate, ``h_{t-1} Whn + bhn``) and the hidden
    state ``h``; plus ``gates`` ``(T, B, 3H)``, the blocks in :data:`GATES`
    order (``z``, ``r``, ``n`` are views into it).
    """

    kind = "gru"

    def __init__(self, n_in: int, n_hidden: int, activation: str = "tanh", bias: bool = True,
                 init: str = "xavier", **_):
        # ``activation`` is accepted for a uniform constructor; the GRU's are fixed.
        self.n_in, self.n_hidden, self.bias, self.init = n_in, n_hidden, bias, init
        self._scale = np.ones(3 * n_hidden)  # halves the sigmoid blocks' pre-activations
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

    def forward(self, p: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
        """Run the layer over ``x`` ``(T, B, I)``; returns its trace entry."""
        T, B, _ = x.shape
        H = self.n_hidden
        s = self._scale
        # sigmoid(a) = (1 + tanh(a / 2)) / 2: the halving is folded into the weights
        gates = x @ (p["Wx"] * s)  # (T, B, 3H) input part of the (scaled) pre-activations
        if self.bias:
            gates += p["b"] * s
        Wh = p["Wh"] * s
        hn = np.empty((T, B, H), dtype=gates.dtype)
        bhn = p["bhn"] if self.bias else 0.0
        hn[0] = bhn  # h_0 = 0
        h = np.empty_like(hn)
        rec = np.empty((B, 3 * H), dtype=gates.dtype)
        diff = np.empty((B, H), dtype=gates.dtype)
        zr = gates[..., : 2 * H]  # (T, B, 2H) the sigmoid blocks
        z, r, n = (gates[..., k * H:(k + 1) * H] for k in range(3))
        for t in range(T):
            if t:
                np.matmul(h[t - 1], Wh, out=rec)
                zr[t] += rec[:, : 2 * H]
                np.add(rec[:, 2 * H:], bhn, out=hn[t])
            st = zr[t]
            np.tanh(st, out=st)
            st *= 0.5
            st += 0.5
            nt = n[t]
            nt += r[t] * hn[t]
            np.tanh(nt, out=nt)
            if t:  # h = n + z * (h_prev - n)
                np.subtract(h[t - 1], nt, out=diff)
                diff *= z[t]
                np.add(nt, diff, out=h[t])
            else:
                np.multiply(z[t], nt, out=h[t])
                np.subtract(nt, h[t], out=h[t])
        return {"z": z, "r": r, "n": n, "hn": hn, "h": h, "gates": gates}

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
        gates, hn, h = tr["gates"], tr["hn"], tr["h"]
        T, B, H = h.shape
        z, r, n = tr["z"], tr["r"], tr["n"]
        h_prev = np.zeros_like(h)
        h_prev[1:] = h[:-1]
        # Local derivatives of every step at once: with dn = dh * (1 - z) * tanh'(n)
        # (the candidate's pre-activation gradient), the recurrent-side gradient of
        # step t is [dh * mult_z, dn * mult_r, dn * r] and the input side has dn
        # in the candidate block instead of dn * r.
        dn_dh = (1.0 - z) * (1.0 - n * n)  # (T, B, H)
        mult = np.empty((T, B, 3, H), dtype=h.dtype)
        np.multiply(z, 1.0 - z, out=mult[:, :, _Z])
        mult[:, :, _Z] *= h_prev - n
        np.multiply(r, 1.0 - r, out=mult[:, :, _R])
        mult[:, :, _R] *= hn
        mult[:, :, _N] = r

        WhT = np.ascontiguousarray(p["Wh"].T)
        dv = np.empty_like(gates)  # (T, B, 3H) gradient w.r.t. the recurrent part [v_z, v_r, hn]
        dv4 = dv.reshape(T, B, 3, H)
        dn = np.empty_like(h)  # gradient w.r.t. the candidate's pre-activation
        dh = np.empty_like(h)  # full gradient reaching h_t
        dh_next = np.zeros((B, H), dtype=h.dtype)
        for t in range(T - 1, -1, -1):
            np.add(dh_out[t], dh_next, out=dh[t])
            np.multiply(dh[t], mult[t, :, _Z], out=dv4[t, :, _Z])
            np.multiply(dh[t], dn_dh[t], out=dn[t])
            np.multiply(dn[t][:, None, :], mult[t, :, _R:], out=dv4[t, :, _R:])
            if t:
                np.matmul(dv[t], WhT, out=dh_next)
                dh_next += dh[t] * z[t]
        du = dv.copy()  # gradient w.r.t. the input part u
        du.reshape(T, B, 3, H)[:, :, _N] = dn
        TB = T * B
        du2 = du.reshape(TB, 3 * H)
        grads = {
            "Wx": x.reshape(TB, -1).T @ du2,
            "Wh": h[:-1].reshape(-1, H).T @ dv[1:].reshape(-1, 3 * H),
        }
        if self.bias:
            grads["b"] = du2.sum(axis=0)
            grads["bhn"] = dv4[:, :, _N].sum(axis=(0, 1))
        dx = (du2 @ p["Wx"].T).reshape(T, B, -1) if need_dx else None
        dh_norm = np.sqrt(np.einsum("tbh,tbh->t", dh, dh))
        return dx, grads, dh_norm
