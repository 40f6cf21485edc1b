"""Reading a trained XOR network: its output over the input plane, and its hidden units in order."""

from __future__ import annotations

import math

import numpy as np

from engine.xor.mlp import MLP, XorResult


def unit_order(h: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Hidden units ordered by how much more they fire for the inputs whose target is 1 than for the others.

    ``h`` is (inputs, units), ``targets`` (inputs,); ties and non-finite means keep the units' order.
    """
    h = np.asarray(h, dtype=float)
    t = np.asarray(targets) >= 0.5
    with np.errstate(invalid="ignore"):
        lean = np.nan_to_num(h[t].mean(axis=0) - h[~t].mean(axis=0))
    return np.argsort(-lean, kind="stable")


def decision_grid(model, resolution: int = 101, lo: float = -0.5, hi: float = 1.5,
                  activation: str = "sigmoid") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a trained network on a square grid over the input plane.

    Parameters
    ----------
    model : an :class:`MLP`, an :class:`XorResult`, or a params dict (then
        ``activation`` names the hidden activation)
    resolution : points per axis (2-1000)
    lo, hi : the grid spans ``[lo, hi]`` on both axes

    Returns
    -------
    xs : (R,) first-input coordinates
    ys : (R,) second-input coordinates
    probs : (R, R) with ``probs[i, j]`` the output at ``(xs[j], ys[i])`` (rows
        follow y, as heatmaps expect)
    """
    if isinstance(model, XorResult):
        model = model.model
    elif isinstance(model, dict):
        n_hidden = sum(1 for k in model if k.startswith("W")) - 1
        sizes = (2, *(len(model[f"b{l}"]) for l in range(1, n_hidden + 1)), 1)
        model = MLP(sizes, activation, params=model)
    whole = isinstance(resolution, (int, np.integer)) and not isinstance(resolution, bool)
    if not (whole and 2 <= resolution <= 1000):
        raise ValueError(f"resolution must be a whole number from 2 to 1000 (got {resolution!r})")
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"the grid needs finite bounds with lo < hi (got {lo!r}, {hi!r})")
    xs = np.linspace(lo, hi, resolution)
    ys = np.linspace(lo, hi, resolution)
    gx, gy = np.meshgrid(xs, ys)  # (R, R) each, rows follow y
    with np.errstate(over="ignore", invalid="ignore"):
        probs = model.predict(np.column_stack([gx.ravel(), gy.ravel()]))
    return xs, ys, probs.reshape(resolution, resolution)
