"""The training step of the default model, fused into few NumPy calls.

Why it exists: at 16 units and 64 sums a training step is a hundred tiny NumPy
calls, so their number and memory layout, not the arithmetic, set the speed. For
a one-layer sigmoid RNN without dropout this class does what
``SequenceModel.forward``, the loss, ``SequenceModel.backward`` and the global
gradient norm do (the reference, which the tests compare it against), in about
sixty calls:

- arrays are feature-major, ``(T, features, B)``, so every step's block is contiguous;
- with ``g_t = tanh(pre_t / 2)`` (so ``h_t = (1 + g_t) / 2``, as in
  :meth:`engine.cells.rnn.RNNCell._forward_sigmoid`) each step's halved
  pre-activation is one product ``[Whh/4; Wxh/2; bh/2 + colsum(Whh)/4]^T [g_{t-1}; x_t; 1]``
  and one ``tanh``; ``g_{-1} = -1`` stands for ``h_{-1} = 0``;
- going back, the gradient reaching ``h_t`` is one product
  ``[Whh, Why] [dpre_{t+1}; dz_t]`` and ``dpre_t`` one multiplication;
- every weight gradient comes from one batched product of the rows
  ``[h_{t-1}; x_t; 1]`` with ``[dpre_t; dz_{t-1}]``, summed over the steps;
- parameters and gradients live in two flat vectors (the model's ``params``
  become views of the first), so the norm and the optimizer take a few calls.
"""

from __future__ import annotations

import math

import numpy as np

from engine import losses
from engine.model import SequenceModel


def fusable(config) -> bool:
    """Whether :class:`FusedRNNStep` trains this configuration."""
    return (config.algorithm == "batched" and config.cell == "rnn" and config.layers == 1
            and config.activation == "sigmoid" and config.keep_prob == 1.0 and config.loss in ("bce", "mse"))


class FusedRNNStep:
    """Forward, loss and backward of a one-layer sigmoid RNN for batches of ``batch`` sums of ``bits`` bits.

    :meth:`step` fills :attr:`grads` (views of :attr:`flat_grads`, in the order
    ``L1.Whh, L1.Wxh, L1.bh, Why, by``) and returns the loss and the gradient
    norm; the model's parameters are views of :attr:`flat_params` in the same
    order (made again if someone replaces one of them).
    """

    def __init__(self, model: SequenceModel, batch: int, bits: int):
        cfg = model.config
        if not fusable(cfg):
            raise ValueError("the fused step trains a one-layer sigmoid RNN without dropout only")
        self.model, self.loss, self.bias = model, cfg.loss, bool(cfg.bias)
        T, B, H, I = bits, batch, cfg.hidden, 2
        self.T, self.H, self.I = T, H, I
        dt = model.dtype
        names = ["L1.Whh", "L1.Wxh", "L1.bh", "Why", "by"] if self.bias else ["L1.Whh", "L1.Wxh", "Why"]
        shapes = model.param_shapes()
        sizes = [math.prod(shapes[n]) for n in names]
        self.flat_params = np.empty(sum(sizes), dtype=dt)
        self.flat_grads = np.empty_like(self.flat_params)
        self.params, self.grads, start = {}, {}, 0
        for name, size in zip(names, sizes, strict=True):
            self.params[name] = self.flat_params[start:start + size].reshape(shapes[name])
            self.grads[name] = self.flat_grads[start:start + size].reshape(shapes[name])
            start += size
        self._adopt()
        k = H + I + 1  # rows [state; x; 1]
        self.kq = H + I + (1 if self.bias else 0)  # rows of the stacked dWhh, dWxh (, dbh)
        self.Z = np.empty((T + 1, k, B), dtype=dt)  # Z[t] = [g_{t-1}; x_t; 1]
        self.Z[0, :H] = -1.0
        self.Z[:, H + I] = 1.0
        self.Q = np.zeros((T + 1, k, B), dtype=dt)  # Q[t] = [h_{t-1}; x_t; 1]; Q[T] = [h_{T-1}; 0; 1]
        self.Q[:, H + I] = 1.0
        self.F = np.zeros((T + 1, H + 1, B), dtype=dt)  # F[t] = [dpre_t; dz_{t-1}]; F[T, :H] = F[0, H] = 0
        self.WcT = np.empty((H, k), dtype=dt)  # [Whh/4; Wxh/2; bh/2 + colsum(Whh)/4]^T
        self.Wf = np.empty((H, H + 1), dtype=dt)  # [Whh, Why]
        self.scratch = np.empty((H, B), dtype=dt)
        self.z = np.empty((T, 1, B), dtype=dt)
        self.e = np.empty_like(self.z)
        self.u = np.empty_like(self.z)
        self.dact = np.empty((T, H, B), dtype=dt)
        self.dh = np.empty((T, H, B), dtype=dt)  # full gradient reaching each h_t
        self.G = np.empty((T + 1, k, H + 1), dtype=dt)  # per-step weight gradients
        self.Gsum = np.empty((k, H + 1), dtype=dt)

    def _adopt(self) -> None:
        """Make the model's parameters views of :attr:`flat_params` (keeping their values)."""
        for name, view in self.params.items():
            view[...] = self.model.params[name]
            self.model.params[name] = view

    def step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Loss and gradients for inputs ``x`` (T, B, 2) and targets ``y`` (T, B, 1): ``(loss, grad_norm)``.

        The gradients are left in :attr:`grads`; the parameters are not changed.
        """
        if any(self.model.params[n] is not v for n, v in self.params.items()):
            self._adopt()
        p, T, H, I = self.params, self.T, self.H, self.I
        Whh, Why = p["L1.Whh"], p["Why"]
        Z, Q, F, WcT, s = self.Z, self.Q, self.F, self.WcT, self.scratch
        np.multiply(Whh.T, 0.25, out=WcT[:, :H])
        np.multiply(p["L1.Wxh"].T, 0.5, out=WcT[:, H:H + I])
        c = WcT[:, H + I]
        if self.bias:
            np.multiply(p["L1.bh"], 0.5, out=c)
        else:
            c[:] = 0.0
        c += np.add.reduce(WcT[:, :H], axis=1)
        xf = x.transpose(0, 2, 1)  # (T, 2, B)
        Z[:T, H:H + I] = xf
        Q[:T, H:H + I] = xf
        for t in range(T):  # g_t = tanh(pre_t / 2)
            np.matmul(WcT, Z[t], out=s)
            np.tanh(s, out=Z[t + 1, :H])
        h = Q[1:, :H]  # (T, H, B)
        np.add(Z[1:, :H], 1.0, out=h)
        h *= 0.5
        z = self.z  # (T, 1, B)
        np.matmul(Why.T, h, out=z)
        if self.bias:
            z += p["by"]
        value = self._loss(z, y.transpose(0, 2, 1))

        Wf, dh, dact = self.Wf, self.dh, self.dact
        Wf[:, :H] = Whh
        Wf[:, H:] = Why
        np.subtract(1.0, h, out=dact)  # sigmoid' = h (1 - h)
        dact *= h
        for t in range(T - 1, -1, -1):  # dh_t = Whh dpre_{t+1} + Why dz_t
            np.matmul(Wf, F[t + 1], out=dh[t])
            np.multiply(dh[t], dact[t], out=F[t, :H])
        # Row block t of G: [h_{t-1}; x_t; 1] [dpre_t; dz_{t-1}]^T. Summed over t, its first H
        # columns hold dWhh, dWxh, dbh and its last column dWhy (rows :H) and dby (row H + I).
        np.matmul(Q, F.transpose(0, 2, 1), out=self.G)
        Gs = np.add.reduce(self.G, axis=0, out=self.Gsum)
        kq = self.kq
        self.flat_grads[: kq * H].reshape(kq, H)[...] = Gs[:kq, :H]
        self.grads["Why"][:, 0] = Gs[:H, H]
        if self.bias:
            self.grads["by"][0] = Gs[H + I, H]
        return value, math.sqrt(float(np.dot(self.flat_grads, self.flat_grads)))

    def _loss(self, z: np.ndarray, y: np.ndarray) -> float:
        """The loss of logits ``z`` (T, 1, B) against ``y`` (T, 1, B); its gradient w.r.t. ``z``
        goes to ``F[1:, H]`` (computed as :mod:`engine.losses` computes them)."""
        dz = self.F[1:, self.H:]
        if self.loss != "bce":
            value, g = losses.get(self.loss)(z, y)
            dz[...] = g
            return value
        e, u = self.e, self.u
        np.abs(z, out=e)  # softplus(z) = max(z, 0) + log1p(exp(-|z|)), as engine.activations.softplus
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.log1p(e, out=e)
        np.maximum(z, 0.0, out=u)
        e += u
        np.multiply(y, z, out=u)
        e -= u  # softplus(z) - y z
        value = float(np.add.reduce(e, axis=None)) / e.size
        np.multiply(z, 0.5, out=u)  # sigmoid(z) = (1 + tanh(z / 2)) / 2
        np.tanh(u, out=u)
        u += 1.0
        u *= 0.5
        u -= y
        np.divide(u, u.size, out=dz)
        return value

    def dh_norm(self) -> np.ndarray:
        """(1, T) norm of the gradient that reached each ``h_t`` in the latest :meth:`step`."""
        return np.sqrt(np.einsum("thb,thb->t", self.dh, self.dh))[None, :]


def sigmoid_rnn_logits(params: dict[str, np.ndarray], xf: np.ndarray) -> np.ndarray:
    """(T, B, 1) read-out logits of a one-layer sigmoid RNN for inputs ``xf`` (T, 2, B), feature-major.

    The forward of :class:`FusedRNNStep` without a trace (what evaluation needs):
    ``g_t = tanh(pre_t / 2)`` carried step by step, ``z_t = Why^T h_t + by``.
    """
    Whh, Wxh, Why = params["L1.Whh"], params["L1.Wxh"], params["Why"]
    T, I, B = xf.shape
    H = Whh.shape[0]
    dt = Whh.dtype
    WcT = np.empty((H, H + I + 1), dtype=dt)  # as in FusedRNNStep.step
    np.multiply(Whh.T, 0.25, out=WcT[:, :H])
    np.multiply(Wxh.T, 0.5, out=WcT[:, H:H + I])
    c = WcT[:, H + I]
    if "L1.bh" in params:
        np.multiply(params["L1.bh"], 0.5, out=c)
    else:
        c[:] = 0.0
    c += WcT[:, :H].sum(axis=1)
    Z = np.empty((T + 1, H + I + 1, B), dtype=dt)  # Z[t] = [g_{t-1}; x_t; 1]
    Z[0, :H] = -1.0
    Z[:T, H:H + I] = xf
    Z[:, H + I] = 1.0
    s = np.empty((H, B), dtype=dt)
    for t in range(T):
        np.matmul(WcT, Z[t], out=s)
        np.tanh(s, out=Z[t + 1, :H])
    h = Z[1:, :H]
    h += 1.0
    h *= 0.5
    z = np.matmul(Why.T, h)  # (T, 1, B)
    if "by" in params:
        z += params["by"]
    return z.transpose(0, 2, 1)
