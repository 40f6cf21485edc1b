"""The vanilla recurrent layer: ``h_t = f(x_t Wxh + h_{t-1} Whh + bh)``.

Everything is time-major: inputs ``x`` are ``(T, B, I)``, hidden states
``(T, B, H)``. The input projection of all steps is one matrix product; only
the recurrence loops over time, so a step costs a handful of NumPy calls
whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import activations
from engine.cells.trace import LayerTrace
from engine.init import weight


@dataclass(frozen=True)
class RNNTrace(LayerTrace):
    """One vanilla RNN layer's forward pass, every step stacked.

    Attributes
    ----------
    h : (T, B, H) hidden states ``f(pre)``
    pre : (T, B, H) pre-activations ``xin + rec``
    xin : (T, B, H) the input contribution ``x_t Wxh + bh``
    rec : (T, B, H) the recurrent contribution ``h_{t-1} Whh`` (equal to ``pre - xin``)
    """

    h: np.ndarray
    pre: np.ndarray
    xin: np.ndarray
    rec: np.ndarray


class RNNCell:
    """One vanilla RNN layer with a chosen hidden activation; its forward returns an :class:`RNNTrace`."""

    kind = "rnn"

    def __init__(self, n_in: int, n_hidden: int, activation: str = "sigmoid", bias: bool = True,
                 init: str = "xavier", **_):
        self.n_in, self.n_hidden, self.bias, self.init = n_in, n_hidden, bias, init
        self.act = activations.get(activation)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {"Wxh": (self.n_in, self.n_hidden), "Whh": (self.n_hidden, self.n_hidden)}
        if self.bias:
            shapes["bh"] = (self.n_hidden,)
        return shapes

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        H = self.n_hidden
        p = {"Wxh": weight(rng, (self.n_in, H), self.init), "Whh": weight(rng, (H, H), self.init)}
        if self.bias:
            p["bh"] = np.zeros(H)
        return p

    def forward(self, p: dict[str, np.ndarray], x: np.ndarray) -> RNNTrace:
        """Run the layer over ``x`` ``(T, B, I)``; returns its trace."""
        xin = self._input_part(p, x)
        if self.act.name == "sigmoid":
            return self._forward_sigmoid(p["Whh"], xin)
        return self._steps(p["Whh"], xin)

    def forward_per_step(self, p: dict[str, np.ndarray], x: np.ndarray) -> RNNTrace:
        """The plain recurrence ``h_t = f(x_t Wxh + h_{t-1} Whh + bh)``, one step at a time.

        The reference: :meth:`forward` runs it for every activation but the
        sigmoid, which has a faster form, and the tests compare that form against it.
        """
        return self._steps(p["Whh"], self._input_part(p, x))

    def _input_part(self, p: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        xin = x @ p["Wxh"]  # (T, B, H)
        if self.bias:
            xin += p["bh"]
        return xin

    def _steps(self, Whh: np.ndarray, xin: np.ndarray) -> RNNTrace:
        T, B, H = xin.shape
        f = self.act.f
        pre = np.empty((T, B, H), dtype=xin.dtype)
        rec = np.empty_like(pre)
        h = np.empty_like(pre)
        h_prev = np.zeros((B, H), dtype=xin.dtype)
        for t in range(T):
            np.dot(h_prev, Whh, out=rec[t])  # np.dot: the least call overhead for 2-D products
            np.add(xin[t], rec[t], out=pre[t])
            h_prev = f(pre[t], out=h[t])
        return RNNTrace(h=h, pre=pre, xin=xin, rec=rec)

    @staticmethod
    def _forward_sigmoid(Whh: np.ndarray, xin: np.ndarray) -> RNNTrace:
        """The sigmoid recurrence with one ``tanh`` per step instead of a four-call sigmoid.

        With ``g_t = tanh(pre_t / 2)``, ``h_t = sigmoid(pre_t) = (1 + g_t) / 2``, so
        ``pre_t / 2 = xin_t / 2 + g_{t-1} (Whh / 4) + colsum(Whh) / 4``: the loop
        carries ``g``; ``pre``, ``h`` and ``rec`` follow for all steps at once.
        Scaling by 2 is exact, so ``h == sigmoid(pre)`` holds bit for bit, and
        ``rec`` is ``pre - xin`` exactly; both agree with the plain loop up to rounding.
        """
        W4 = 0.25 * Whh
        half = 0.5 * xin  # becomes pre / 2
        half[1:] += 0.25 * Whh.sum(axis=0)  # the constant part of h_{t-1} Whh / 2 (h_{-1} = 0)
        g = np.empty_like(xin)
        np.tanh(half[0], out=g[0])
        scratch = np.empty_like(xin[0])
        for t in range(1, xin.shape[0]):
            half[t] += np.dot(g[t - 1], W4, out=scratch)
            np.tanh(half[t], out=g[t])
        pre = np.multiply(half, 2.0, out=half)
        h = np.add(g, 1.0, out=g)
        h *= 0.5
        return RNNTrace(h=h, pre=pre, xin=xin, rec=pre - xin)

    def backward(self, p: dict[str, np.ndarray], x: np.ndarray, tr: RNNTrace,
                 dh_out: np.ndarray, need_dx: bool = True, return_steps: bool = False):
        """Backpropagation through time.

        Parameters
        ----------
        p : this layer's parameters
        x : (T, B, I) the layer's input
        tr : the layer's trace from :meth:`forward`
        dh_out : (T, B, H) gradient of the loss w.r.t. each ``h_t`` from above
            (read-out or next layer), not yet including the recurrence
        need_dx : whether to compute ``dx`` (the bottom layer does not need it)
        return_steps : also return the per-step arrays ``dh`` and ``dpre``

        Returns
        -------
        dx : (T, B, I) gradient w.r.t. the input, or None when not needed
        grads : dict of gradients keyed like ``p``
        dh_norm : (T,) norm of the full gradient reaching each ``h_t``
        dh, dpre : with ``return_steps`` only, (T, B, H) each: the full gradient
            reaching each ``h_t`` (from above and from step t + 1) and each
            pre-activation (``dh * f'(pre)``, the "delta")
        """
        pre, h = tr.pre, tr.h
        T = h.shape[0]
        dact = self.act.df(pre, h)  # (T, B, H), all steps at once
        WhhT = p["Whh"].T
        dh = np.empty_like(h)  # full gradient reaching h_t (from above and from t+1)
        dpre = np.empty_like(h)
        dh[T - 1] = dh_out[T - 1]  # nothing flows back into the last step
        for t in range(T - 1, -1, -1):
            np.multiply(dh[t], dact[t], out=dpre[t])
            if t:  # dh_{t-1} = dpre_t Whh^T (from step t) + what reaches h_{t-1} from above
                np.dot(dpre[t], WhhT, out=dh[t - 1])
                dh[t - 1] += dh_out[t - 1]
        H = h.shape[2]
        dpre2 = dpre.reshape(-1, H)  # (T*B, H): a sum over steps and batch is one matrix product
        grads = {
            "Wxh": x.reshape(-1, x.shape[2]).T @ dpre2,
            "Whh": h[:-1].reshape(-1, H).T @ dpre[1:].reshape(-1, H),
        }
        if self.bias:
            grads["bh"] = dpre2.sum(axis=0)
        dx = dpre @ p["Wxh"].T if need_dx else None
        dh_norm = np.sqrt(np.einsum("tbh,tbh->t", dh, dh))
        if return_steps:
            return dx, grads, dh_norm, dh, dpre
        return dx, grads, dh_norm
