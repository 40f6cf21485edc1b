"""The engine's default model written in PyTorch and in JAX, for bench_engine.py.

Both are the same network as the engine's default preset (one sigmoid RNN layer,
16 units, a sigmoid read-out, cross-entropy, float64) trained by the same
optimizer from the same initial weights on the same batches, so their losses
match the engine's step for step (the benchmark checks this). Each library is
imported only when its peer is built; both are benchmark-only extras:

    pip install torch==2.13.0        pip install "jax[cpu]"
"""

from __future__ import annotations

import numpy as np

B1, B2, EPS = 0.9, 0.999, 1e-8  # Adam's defaults, as engine.optim.Adam


class TorchRNN:
    """PyTorch CPU autograd, one thread."""

    name = "PyTorch CPU autograd"

    def __init__(self, params: dict[str, np.ndarray], lr: float, optimizer: str = "adam"):
        import torch

        torch.set_num_threads(1)
        self.torch = torch
        self.p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
        self.opt = cls(list(self.p.values()), lr=lr)

    def logits(self, x):  # x (T, B, 2) -> (T, B, 1)
        p = self.p
        xin = x @ p["L1.Wxh"] + p["L1.bh"]
        h = self.torch.zeros(x.shape[1], p["L1.Whh"].shape[0], dtype=self.torch.float64)
        hs = []
        for t in range(x.shape[0]):
            h = self.torch.sigmoid(xin[t] + h @ p["L1.Whh"])
            hs.append(h)
        return self.torch.stack(hs) @ p["Why"] + p["by"]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One optimizer step on time-major inputs (T, B, 2) and targets (T, B, 1); returns the loss."""
        torch = self.torch
        x, y = (torch.from_numpy(np.ascontiguousarray(a)) for a in (x, y))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(self.logits(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.detach())


class JaxRNN:
    """JAX on the CPU: the whole training step (forward as a ``lax.scan``, ``jax.grad``, the
    optimizer) compiled by ``jax.jit``, float64.

    :meth:`step` returns the loss as a JAX array without waiting for it (JAX's
    asynchronous dispatch, its fastest way to train); :meth:`sync` waits.
    """

    name = "JAX jit (lax.scan, jax.grad)"

    def __init__(self, params: dict[str, np.ndarray], lr: float, optimizer: str = "adam"):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def logits(p, x):  # x (T, B, 2) -> (T, B, 1)
            xin = x @ p["L1.Wxh"] + p["L1.bh"]

            def cell(h, xt):
                h = jax.nn.sigmoid(xt + h @ p["L1.Whh"])
                return h, h

            _, hs = jax.lax.scan(cell, jnp.zeros((x.shape[1], p["L1.Whh"].shape[0])), xin)
            return hs @ p["Why"] + p["by"]

        def loss_fn(p, x, y):
            z = logits(p, x)
            return jnp.mean(jnp.logaddexp(0.0, z) - y * z)

        def adam(state, x, y):
            p, m, v, t = state
            loss, g = jax.value_and_grad(loss_fn)(p, x, y)
            t = t + 1
            m = jax.tree.map(lambda m, g: B1 * m + (1 - B1) * g, m, g)
            v = jax.tree.map(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)
            size = lr * jnp.sqrt(1 - B2**t) / (1 - B1**t)
            eps = EPS * jnp.sqrt(1 - B2**t)
            p = jax.tree.map(lambda p, m, v: p - size * m / (jnp.sqrt(v) + eps), p, m, v)
            return (p, m, v, t), loss

        def sgd(state, x, y):
            p, m, v, t = state
            loss, g = jax.value_and_grad(loss_fn)(p, x, y)
            return (jax.tree.map(lambda p, g: p - lr * g, p, g), m, v, t), loss

        p = {k: jnp.asarray(np.array(v, dtype=np.float64)) for k, v in params.items()}  # copies: on the
        # CPU jnp.asarray may share the NumPy buffer, which the engine goes on updating in place
        zeros = jax.tree.map(jnp.zeros_like, p)
        self.state = (p, zeros, zeros, jnp.asarray(0.0, dtype=jnp.float64))
        self._step = jax.jit(adam if optimizer == "adam" else sgd)
        self._last = None

    def step(self, x: np.ndarray, y: np.ndarray):
        self.state, self._last = self._step(self.state, x, y)
        return self._last

    def sync(self) -> None:
        if self._last is not None:
            self._last.block_until_ready()
