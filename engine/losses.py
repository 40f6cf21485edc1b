"""Per-bit losses on sigmoid read-outs.

Both losses take the read-out *logits* ``z`` and targets ``y`` of the same
shape and return ``(value, dz)``: the mean loss over every element and its
gradient with respect to ``z``. Working from logits keeps binary
cross-entropy finite even when a probability rounds to 0 or 1.
"""

from __future__ import annotations

import numpy as np

from engine.activations import sigmoid, softplus


def mse(z: np.ndarray, y: np.ndarray, p: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Mean squared error of ``sigmoid(z)`` against ``y`` (the tutorials' loss).

    ``p``, if given, is ``sigmoid(z)`` already computed (the forward pass has it).
    """
    if p is None:
        p = sigmoid(z)
    err = p - y
    value = float(np.mean(err * err))
    dz = (2.0 / err.size) * err * p * (1.0 - p)
    return value, dz


def bce(z: np.ndarray, y: np.ndarray, p: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of ``sigmoid(z)`` against ``y`` (``p``: as for :func:`mse`)."""
    # softplus(z) - y z  ==  -y log p - (1 - y) log(1 - p)
    value = float(np.mean(softplus(z) - y * z))
    dz = ((sigmoid(z) if p is None else p) - y) / z.size
    return value, dz


LOSSES = {"mse": mse, "bce": bce}


def get(name: str):
    """Look up a loss by name, with a message listing the choices."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None
