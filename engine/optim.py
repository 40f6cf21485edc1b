"""Optimizers over named parameter dictionaries.

An optimizer's :meth:`step` takes ``params`` and ``grads`` (both
``dict[str, ndarray]`` with the same keys) and **updates params in place**.
It keeps its own state per parameter name and never looks inside a model, so
the learning rate can be changed between steps (``opt.lr = ...``) without
resetting anything.

:meth:`step_flat` does the same update for parameters and gradients that are
views of two flat vectors (the fused training step keeps them so): the same
arithmetic, element by element, in a few calls instead of a few per tensor.
"""

from __future__ import annotations

import math

import numpy as np

Params = dict[str, np.ndarray]


class SGD:
    """Plain gradient descent: ``p -= lr * g``."""

    def __init__(self, lr: float):
        self.lr = lr

    def step(self, params: Params, grads: Params) -> None:
        for name, g in grads.items():
            params[name] -= self.lr * g

    def step_flat(self, flat_params: np.ndarray, flat_grads: np.ndarray, grads: Params) -> None:
        """:meth:`step` for ``grads`` that are views of ``flat_grads`` (params: of ``flat_params``)."""
        flat_params -= self.lr * flat_grads


class Momentum:
    """Gradient descent with heavy-ball momentum: ``v = beta v + g; p -= lr v``."""

    def __init__(self, lr: float, beta: float = 0.9):
        self.lr, self.beta = lr, beta
        self.velocity: Params = {}

    def step(self, params: Params, grads: Params) -> None:
        for name, g in grads.items():
            v = self.velocity.get(name)
            if v is None:
                v = self.velocity[name] = np.zeros_like(g)
            v *= self.beta
            v += g
            params[name] -= self.lr * v

    def step_flat(self, flat_params: np.ndarray, flat_grads: np.ndarray, grads: Params) -> None:
        """:meth:`step` for ``grads`` that are views of ``flat_grads`` (params: of ``flat_params``)."""
        views = getattr(self, "_views", {})
        if list(views) != list(grads) or any(self.velocity.get(k) is not v for k, v in views.items()):
            flat_v, views, start = np.zeros_like(flat_grads), {}, 0
            for name, g in grads.items():  # grads are laid out in flat_grads in this order
                view = views[name] = flat_v[start:start + g.size].reshape(g.shape)
                if name in self.velocity:
                    view[...] = self.velocity[name]
                self.velocity[name] = view
                start += g.size
            self._flat_v, self._views = flat_v, views
        flat_v = self._flat_v
        flat_v *= self.beta
        flat_v += flat_grads
        flat_params -= self.lr * flat_v


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction; defaults as in the paper.

    The moments of all parameters live in one flat vector each, so a step is a
    dozen NumPy calls however many tensors the model has; ``m[name]`` and
    ``v[name]`` are views of them.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: Params = {}
        self.v: Params = {}
        self._layout: list[tuple[str, slice, tuple[int, ...]]] = []

    def _allocate(self, grads: Params) -> None:
        """Flat moment vectors (and scratch) for these parameters; keeps moments of known names."""
        dtype = np.result_type(*grads.values())
        size = sum(g.size for g in grads.values())
        m, v = np.zeros(size, dtype), np.zeros(size, dtype)
        self._layout, start = [], 0
        for name, g in grads.items():
            sl = slice(start, start + g.size)
            if name in self.m:
                m[sl], v[sl] = self.m[name].ravel(), self.v[name].ravel()
            self.m[name], self.v[name] = m[sl].reshape(g.shape), v[sl].reshape(g.shape)
            self._layout.append((name, sl, g.shape))
            start += g.size
        self._flat_m, self._flat_v = m, v
        self._g, self._tmp, self._upd = np.empty_like(m), np.empty_like(m), np.empty_like(m)

    def step(self, params: Params, grads: Params) -> None:
        upd = self._update(grads, None)
        for name, sl, shape in self._layout:
            params[name] -= upd[sl].reshape(shape)

    def step_flat(self, flat_params: np.ndarray, flat_grads: np.ndarray, grads: Params) -> None:
        """:meth:`step` for ``grads`` that are views of ``flat_grads`` (params: of ``flat_params``)."""
        flat_params -= self._update(grads, flat_grads)

    def _update(self, grads: Params, flat: np.ndarray | None) -> np.ndarray:
        """Advance the moments; returns the flat update to subtract (in the layout's order)."""
        self.t += 1
        # Fold both bias corrections into one step size (as in the paper's
        # "efficient" form).
        step_size = self.lr * math.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        eps_hat = self.eps * math.sqrt(1.0 - self.beta2**self.t)
        if [(n, s) for n, _, s in self._layout] != [(n, g.shape) for n, g in grads.items()]:
            self._allocate(grads)
        g, tmp, upd, m, v = self._g, self._tmp, self._upd, self._flat_m, self._flat_v
        if flat is None:
            np.concatenate([grads[name].ravel() for name, _, _ in self._layout], out=g)
        else:  # grads are views of flat, in the layout's order
            g = flat
        m *= self.beta1
        m += np.multiply(g, 1.0 - self.beta1, out=tmp)
        v *= self.beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.beta2
        v += tmp
        np.multiply(m, step_size, out=upd)  # the same operations, in the same order, as
        np.sqrt(v, out=tmp)                 # step_size * m / (sqrt(v) + eps_hat)
        tmp += eps_hat
        upd /= tmp
        return upd


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make(name: str, lr: float):
    """Build an optimizer by name (``sgd``, ``momentum`` or ``adam``)."""
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}") from None
    return cls(lr)


def global_norm(grads: Params) -> float:
    """Euclidean norm of all gradients taken together."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_by_global_norm(grads: Params, max_norm: float, norm: float | None = None) -> float:
    """Scale ``grads`` in place so their global norm is at most ``max_norm``.

    Returns the norm before clipping. ``max_norm <= 0`` disables clipping.
    """
    if norm is None:
        norm = global_norm(grads)
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads.values():
            g *= scale
    return norm
