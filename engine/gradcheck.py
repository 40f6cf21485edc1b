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
