"""Evaluating many sums at once by sharing their common beginnings.

A recurrent network reads the bits least significant first, so its state after
step ``t`` depends only on the lowest ``t + 1`` bits of ``a`` and ``b``, and so does
the sum's bit ``t``. The 16384 sums of the 8-bit evaluation set have only 4
distinct beginnings at step 0, 16 at step 1, ... 16384 from step 6 on: 38,228
states to compute instead of 131,072. :class:`PrefixTree` finds the distinct
beginnings of a batch once; :func:`tree_figures` runs a one-layer sigmoid RNN over
them and adds up the evaluation figures with each beginning counted as often as
it occurs: the numbers a plain forward pass over every sum gives, up to rounding.
"""

from __future__ import annotations

import numpy as np

from engine.activations import sigmoid, softplus
from engine.data import AdditionBatch


class PrefixTree:
    """The distinct beginnings of the sums of ``batch``, step by step.

    For step ``t``: ``parent[t]`` (S_t,) the index of each beginning's own beginning
    at step ``t - 1`` (all 0 at step 0), ``x1[t]`` (S_t, 3) its input bits at step ``t`` and a 1,
    ``y[t]`` (S_t,) the sum's bit ``t`` and ``count[t]`` (S_t,) how many sums share it.
    """

    def __init__(self, batch: AdditionBatch):
        bits = batch.bits
        if bits > 31:
            raise ValueError("prefix trees are built for sums of up to 31 bits")
        a, b = batch.a.astype(np.uint64), batch.b.astype(np.uint64)
        self.size = len(batch)
        self.parent, self.x1, self.y, self.count = [], [], [], []
        prev = np.zeros(len(batch), dtype=np.int64)
        for t in range(bits):
            mask = np.uint64((1 << (t + 1)) - 1)
            code = ((a & mask) << np.uint64(t + 1)) | (b & mask)  # each sum's beginning at step t
            _, first, which = np.unique(code, return_index=True, return_inverse=True)
            which = which.ravel()
            self.parent.append(prev[first])
            self.x1.append(np.hstack([batch.x[first, t], np.ones((len(first), 1))]))
            self.y.append(batch.y[first, t, 0].copy())
            self.count.append(np.bincount(which).astype(np.float64))
            prev = which
        self.states = sum(len(p) for p in self.parent)
        self.all_y, self.all_count = np.concatenate(self.y), np.concatenate(self.count)


def tree_figures(params: dict[str, np.ndarray], tree: PrefixTree, loss: str,
                 stop_if_wrong: bool = False) -> tuple[dict[str, float], float] | None:
    """Evaluation figures (``eval_loss``, ``exact_acc``, ``bit_acc``) and cross-entropy of a
    one-layer sigmoid RNN with ``params`` on the sums ``tree`` was built from.

    With ``stop_if_wrong``, returns None as soon as one bit of one sum is wrong.
    """
    Whh, Wxh, Why = params["L1.Whh"], params["L1.Wxh"], params["Why"]
    H = Whh.shape[0]
    dt = Whh.dtype
    # With g = tanh(pre / 2) (h = (1 + g) / 2, as engine.fused): pre / 2 = g_{t-1} Whh / 4 + x_t Wxh / 2 + c
    W4 = Whh * 0.25
    Wx = np.vstack([Wxh * 0.5, (params["L1.bh"] * 0.5 if "L1.bh" in params else np.zeros(H, dt))
                    + W4.sum(axis=0)])  # (I + 1, H): the input bits and a constant 1
    wy = 0.5 * Why[:, 0]  # z = Why^T h + by = wy^T g + sum(wy) + by
    cy = float(wy.sum()) + (float(params["by"][0]) if "by" in params else 0.0)
    z = np.empty(tree.states, dtype=dt)  # every beginning's logit, step after step
    g_prev = np.full((1, H), -1.0, dtype=dt)  # g_{-1} = -1: h_{-1} = 0
    start = 0
    for t, (parent, x1) in enumerate(zip(tree.parent, tree.x1, strict=True)):
        g = g_prev[parent] @ W4  # (S, H)
        g += x1 @ Wx
        np.tanh(g, out=g)
        zt = z[start:start + len(parent)]
        np.matmul(g, wy, out=zt)
        zt += cy
        if stop_if_wrong and not ((sigmoid(zt) >= 0.5) == (tree.y[t] >= 0.5)).all():
            return None
        g_prev, start = g, start + len(parent)
    y, count = tree.all_y, tree.all_count
    p = sigmoid(z)
    right = (p >= 0.5) == (y >= 0.5)
    ok, start = np.ones(1, dtype=bool), 0
    for parent in tree.parent:  # a sum is right when every bit of it is
        ok = ok[parent] & right[start:start + len(parent)]
        start += len(parent)
    n = tree.size * len(tree.parent)
    xent = float(count @ (softplus(z) - y * z)) / n
    value = xent if loss == "bce" else float(count @ np.square(p - y)) / n
    return {"eval_loss": value, "exact_acc": float(tree.count[-1] @ ok) / tree.size,
            "bit_acc": float(count @ right) / n}, xent
