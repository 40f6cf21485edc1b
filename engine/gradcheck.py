"""Numerical gradient check: central differences against backpropagation.

Every element of every parameter is nudged by ``±eps`` in float64 and the
loss difference compared with the analytic gradient (the idea of the
tutorial's recurrent-layer check, applied to whole models). The relative
error per tensor is ``|num - ana| / max(|num| + |ana|, tiny)`` in Euclidean
norm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine import data, losses
from engine.config import Config
from engine.model import SequenceModel
from engine.schema import SEED_MAX, number

THRESHOLD = 1e-6


@dataclass(frozen=True)
class GradCheckRow:
    name: str
    shape: tuple[int, ...]
    rel_error: float
    max_abs_error: float

    @property
    def ok(self) -> bool:
        return self.rel_error <= THRESHOLD


def check_function(params: dict[str, np.ndarray], loss_of: Callable[[], float],
                   grads: dict[str, np.ndarray], eps: float = 1e-5) -> list[GradCheckRow]:
    """Compare ``grads`` with central differences of ``loss_of()``.

    ``loss_of`` must read ``params`` (perturbed in place and restored).
    """
    rows = []
    for name, p in params.items():
        num = np.zeros_like(p)
        flat, nflat = p.reshape(-1), num.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = loss_of()
            flat[i] = old - eps
            down = loss_of()
            flat[i] = old
            nflat[i] = (up - down) / (2 * eps)
        ana = grads[name]
        diff = float(np.linalg.norm(num - ana))
        scale = max(float(np.linalg.norm(num) + np.linalg.norm(ana)), 1e-12)
        rows.append(GradCheckRow(name, p.shape, diff / scale, float(np.max(np.abs(num - ana)))))
    return rows


def check_model(config: Config, batch: int = 3, bits: int = 5, seed: int = 0) -> list[GradCheckRow]:
    """Gradient check of a sequence model built from ``config`` on a small random batch.

    Dropout (``keep_prob < 1``) is checked with one fixed mask drawn up front.
    Biases are drawn non-zero so their gradients are exercised.
    """
    config = config.replace(dtype="float64")  # finite differences need the precision
    rng = np.random.default_rng(seed)
    model = SequenceModel(config, rng=rng)
    for p in model.params.values():
        if p.ndim == 1:  # biases start at zero (or a constant); move them off it
            p += rng.normal(0.0, 0.5, size=p.shape)
    b = data.random_batch(rng, batch, bits)
    y = np.ascontiguousarray(np.swapaxes(b.y, 0, 1))
    loss_fn = losses.get(config.loss)
    trace = model.forward(b.x, rng=rng if config.keep_prob < 1 else None)
    masks = trace.masks
    _, dz = loss_fn(trace.z, y)
    grads, _ = model.backward(trace, dz)

    def loss_of() -> float:
        return loss_fn(model.forward(b.x, masks=masks).z, y)[0]

    return check_function(model.params, loss_of, grads)


def format_table(rows: list[GradCheckRow]) -> str:
    """A plain-text table of the rows, worst first marked."""
    lines = [f"{'parameter':<12} {'shape':<10} {'rel. error':>11} {'max abs err':>12}  ok"]
    for r in rows:
        shape = "x".join(map(str, r.shape))
        lines.append(f"{r.name:<12} {shape:<10} {r.rel_error:>11.2e} {r.max_abs_error:>12.2e}  "
                     f"{'yes' if r.ok else 'NO'}")
    return "\n".join(lines)


# --- reference 004's check: one recurrent layer, two steps, loss = sum of the final state ---------

REFERENCE_INPUTS = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]])  # (T=2, I=3) the two input vectors


@dataclass(frozen=True)
class RecurrentCheckRow:
    """One weight of the reference layer: its central difference and its BPTT gradient.

    ``matrix`` is ``"U"`` (input weights, shape (H, I)) or ``"W"`` (recurrent
    weights, (H, H)); ``(i, j)`` indexes it as the reference does: row ``i`` is
    the receiving unit, so ``U[i, j] == Wxh[j, i]`` in :class:`engine.cells.rnn.RNNCell`.
    """

    matrix: str
    i: int
    j: int
    numerical: float
    backprop: float

    @property
    def label(self) -> str:
        return f"{self.matrix}({self.i},{self.j})"

    @property
    def abs_error(self) -> float:
        return abs(self.numerical - self.backprop)

    def line(self) -> str:
        """The row printed the way the reference prints it."""
        return f"{self.label}: numerical {self.numerical:.6f}, backprop {self.backprop:.6f}"


@dataclass(frozen=True)
class RecurrentLayerCheck:
    """Reference 004's layer, its two steps, their deltas and the per-weight comparison.

    Attributes
    ----------
    activation, eps, seed : what was checked
    x : (T, I) the inputs, one row per step
    U : (H, I) input weights;  W : (H, H) recurrent weights (reference layout, see
        :class:`RecurrentCheckRow`)
    pre, h : (T, H) pre-activations and states of the steps
    delta_h : (T, H) gradient of the loss w.r.t. each state ``h_t``
    delta : (T, H) gradient w.r.t. each pre-activation (the reference's delta)
    rows : every element of U, then of W, row by row
    """

    activation: str
    eps: float
    seed: int
    x: np.ndarray
    U: np.ndarray
    W: np.ndarray
    pre: np.ndarray
    h: np.ndarray
    delta_h: np.ndarray
    delta: np.ndarray
    rows: tuple[RecurrentCheckRow, ...]

    @property
    def loss(self) -> float:
        """The checked loss: the sum of the final state."""
        return float(self.h[-1].sum())

    @property
    def max_abs_error(self) -> float:
        return max(r.abs_error for r in self.rows)


def recurrent_layer_check(activation: str = "identity", seed: int = 0, eps: float = 1e-3,
                          n_in: int = 3, n_hidden: int = 2) -> RecurrentLayerCheck:
    """Reference 004's gradient check of one recurrent layer (no bias).

    The layer ``h_t = f(U x_t + W h_{t-1})`` with ``U`` then ``W`` drawn from
    U[-1e-4, 1e-4) (``default_rng(seed)``) runs two steps over the inputs
    ``[1, 2, 3]`` and ``[2, 3, 4]``; the loss is the sum of the final state.
    Each weight's gradient by backpropagation through time
    (:meth:`engine.cells.rnn.RNNCell.backward`) is compared with the central
    difference ``(L(w + eps) - L(w - eps)) / (2 eps)``.

    Parameters
    ----------
    activation : any name in :data:`engine.activations.ACTIVATIONS` (the
        reference uses ``"identity"`` and ``"relu"``)
    seed : seeds the weights
    eps : the nudge (the reference's ``1e-3``); above 0 and at most 1
    n_in, n_hidden : the layer's size (the reference's 3 and 2); the inputs are
        ``1, 2, ...`` and ``2, 3, ...`` when ``n_in`` is not 3
    """
    from engine import activations
    from engine.cells.rnn import RNNCell

    activations.get(activation)  # a readable error for an unknown name
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps <= 1:
        raise ValueError(f"eps must be a number above 0 up to 1 (got {eps!r})")
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= 16:
            raise ValueError(f"{name} must be a whole number from 1 to 16 (got {v!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= SEED_MAX:
        raise ValueError(f"seed must be a whole number from 0 to {number(SEED_MAX)} (got {seed!r})")
    rng = np.random.default_rng(seed)
    U = rng.uniform(-1e-4, 1e-4, size=(n_hidden, n_in))
    W = rng.uniform(-1e-4, 1e-4, size=(n_hidden, n_hidden))
    x = REFERENCE_INPUTS if n_in == 3 else np.stack([np.arange(1.0, n_in + 1), np.arange(2.0, n_in + 2)])
    cell = RNNCell(n_in, n_hidden, activation=activation, bias=False)
    params = {"Wxh": U.T.copy(), "Whh": W.T.copy()}  # the cell computes x @ Wxh + h @ Whh
    x3 = x[:, None, :]  # (T, B=1, I)

    def loss_of() -> float:
        return float(cell.forward(params, x3).h[-1].sum())

    tr = cell.forward(params, x3)
    dh_out = np.zeros_like(tr.h)
    dh_out[-1] = 1.0  # d(sum of the final state) / d h_T
    _, grads, _, delta_h, delta = cell.backward(params, x3, tr, dh_out, need_dx=False, return_steps=True)

    rows = []
    for matrix, key, ana in (("U", "Wxh", grads["Wxh"].T), ("W", "Whh", grads["Whh"].T)):
        p = params[key]
        for i in range(ana.shape[0]):
            for j in range(ana.shape[1]):
                old = p[j, i]
                p[j, i] = old + eps
                up = loss_of()
                p[j, i] = old - eps
                down = loss_of()
                p[j, i] = old
                rows.append(RecurrentCheckRow(matrix, i, j, (up - down) / (2 * eps), float(ana[i, j])))
    return RecurrentLayerCheck(activation, float(eps), int(seed), x, U, W, tr.pre[:, 0], tr.h[:, 0],
                               delta_h[:, 0], delta[:, 0], tuple(rows))

