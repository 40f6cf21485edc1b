"""Weight initialisation schemes shared by every layer."""

from __future__ import annotations

import math

import numpy as np


def weight(rng: np.random.Generator, shape: tuple[int, ...], scheme: str) -> np.ndarray:
    """A weight matrix of ``shape`` (fan-in first, fan-out last).

    ``"uniform"`` draws from U[-1, 1) as the tutorial does; ``"xavier"`` from
    U[-a, a) with ``a = sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010).
    """
    if scheme == "uniform":
        a = 1.0
    elif scheme == "xavier":
        a = math.sqrt(6.0 / (shape[0] + shape[-1]))
    else:
        raise ValueError(f"unknown init scheme {scheme!r}; choose uniform or xavier")
    return rng.uniform(-a, a, size=shape)
