"""Sweep throughput: a 16-run grid on 1 and 2 local worker processes, beside a JAX peer.

- engine sweep: 4 learning rates x 4 seeds of the default model (hidden 16, batch 64, 8 bits,
  Adam, cross-entropy), each trained its whole 1000-step budget and evaluated on all 16384
  pairs every 20 steps, through ``runs.sweep_runner`` into a store in a temporary folder
  (worker start-up and store writes included), with 1 and with 2 worker processes, not niced
  here so both contenders run at the same priority (niceness only decides who goes first when
  other work wants the cores)
- JAX peer, when ``jax`` is installed (``pip install "jax[cpu]"``, for this benchmark only):
  the same 16 models (same architecture, initialisation scheme, loss, Adam, batch, budget and
  evaluation schedule; its own random draws) trained together with ``jax.vmap`` under ``jit``
  on the CPU in float64, 20 steps per compiled call; compilation is timed separately

The contenders alternate round by round and each keeps its best round, so background load hits
them alike. Prints wall times, model-steps/s (training steps of all models per second), the
2-worker speed-up (target >= 1.6x on 2 cores) and the engine / JAX ratio. Run by hand:

    python benchmarks/bench_sweep.py            # about two minutes
    python benchmarks/bench_sweep.py --quick    # one round
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.runtime import tune_process  # noqa: E402  (before NumPy loads)

tune_process()

from engine.config import Config  # noqa: E402
from runs.executors import LocalExecutor  # noqa: E402
from runs.sweep import make_grid  # noqa: E402
from runs.sweep_runner import create_sweep, run_sweep  # noqa: E402
from runs.sweep_store import SweepStore  # noqa: E402

try:
    import jax
except ImportError:  # a benchmark-only extra
    jax = None

LRS = (0.01, 0.02, 0.05, 0.1)
SEEDS = 4
BASE = Config()  # the default model, 1000 steps, evaluated every 20


def engine_sweep(workers: int) -> tuple[float, int, int, float]:
    """Wall seconds, model-steps, solved runs and the sum of the points' own times of the 16-run
    grid on ``workers`` processes (that sum over the wall time: how many points trained at once)."""
    grid = make_grid(BASE, {"lr": ",".join(map(str, LRS))}, seeds=SEEDS, stop_when_solved=False)
    with tempfile.TemporaryDirectory() as folder:
        sink = SweepStore(folder)
        t0 = time.perf_counter()
        sweep_id = create_sweep(grid, sink)
        with LocalExecutor(workers, nice=0) as ex:  # the JAX peer's priority (the app's pool is niced)
            progress = run_sweep(sweep_id, sink, ex)
        wall = time.perf_counter() - t0
        assert progress.state == "finished" and progress.failed == 0, progress
        points = sink.points(sweep_id)
    results = [p.result for p in points]
    return (wall, sum(r.steps for r in results), sum(r.solved_at_step is not None for r in results),
            sum(r.wall_s for r in results))


def jax_peer():
    """A function training the 16 models with vmap under jit; returns (wall, model-steps, solved)."""
    from jax import lax
    from jax import numpy as jnp

    jax.config.update("jax_enable_x64", True)
    H, T, B, N = BASE.hidden, BASE.bits, BASE.batch, len(LRS) * SEEDS
    b1, b2, eps = 0.9, 0.999, 1e-8
    n = 2 ** (T - 1)
    ea, eb = jnp.meshgrid(jnp.arange(n), jnp.arange(n), indexing="ij")
    eval_x, eval_y = bits_xy(ea.ravel(), eb.ravel(), T)  # every pair: (T, 16384, 2), (T, 16384, 1)

    def glorot(key, shape):
        a = (6.0 / (shape[0] + shape[-1])) ** 0.5
        return jax.random.uniform(key, shape, jnp.float64, -a, a)

    def init(key):
        k1, k2, k3 = jax.random.split(key, 3)
        return {"Wxh": glorot(k1, (2, H)), "Whh": glorot(k2, (H, H)), "bh": jnp.zeros(H),
                "Why": glorot(k3, (H, 1)), "by": jnp.zeros(1)}

    def logits(p, x):  # x (T, B, 2) -> (T, B, 1)
        xin = x @ p["Wxh"] + p["bh"]

        def step(h, xt):
            h = jax.nn.sigmoid(xt + h @ p["Whh"])
            return h, h

        _, hs = lax.scan(step, jnp.zeros((x.shape[1], H)), xin)
        return hs @ p["Why"] + p["by"]

    def loss(p, x, y):
        z = logits(p, x)
        return jnp.mean(jnp.logaddexp(0.0, z) - y * z)

    def train_step(carry, _):
        p, m, v, t, key, lr = carry
        key, k = jax.random.split(key)
        a, b = jax.random.randint(k, (2, B), 0, n)
        x, y = bits_xy(a, b, T)
        g = jax.grad(loss)(p, x, y)
        t = t + 1
        m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
        size = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        eps_hat = eps * jnp.sqrt(1 - b2**t)
        p = jax.tree.map(lambda p, m, v: p - size * m / (jnp.sqrt(v) + eps_hat), p, m, v)
        return (p, m, v, t, key, lr), None

    def chunk(carry):  # eval_every steps, then the exact accuracy on every pair
        carry, _ = lax.scan(train_step, carry, None, length=BASE.eval_every)
        right = (logits(carry[0], eval_x) >= 0) == (eval_y >= 0.5)
        return carry, right.all(axis=(0, 2)).mean()

    many = jax.jit(jax.vmap(chunk))
    first_exact = jax.jit(jax.vmap(lambda p: ((logits(p, eval_x) >= 0) == (eval_y >= 0.5)).all(axis=(0, 2))
                                   .mean()))

    def start():
        keys = jax.random.split(jax.random.PRNGKey(0), N)
        params = jax.vmap(init)(keys)
        zeros = jax.tree.map(jnp.zeros_like, params)
        lrs = jnp.repeat(jnp.array(LRS), SEEDS)
        return (params, zeros, zeros, jnp.zeros(N), keys, lrs)

    def run() -> tuple[float, int, int]:
        carry = start()
        t0 = time.perf_counter()
        first_exact(carry[0]).block_until_ready()  # the evaluation before training, as the engine's
        solved = jnp.zeros(N, bool)
        for _ in range(BASE.steps // BASE.eval_every):
            carry, exact = many(carry)
            solved = solved | (exact == 1.0)
        solved.block_until_ready()
        wall = time.perf_counter() - t0
        return wall, N * BASE.steps, int(solved.sum()), wall

    t0 = time.perf_counter()
    run()  # compiles
    return run, time.perf_counter() - t0


def bits_xy(a, b, T):
    """Time-major input bits (T, B, 2) and sum bits (T, B, 1), least significant first (JAX arrays)."""
    from jax import numpy as jnp

    shifts = jnp.arange(T)
    s = a + b
    x = jnp.stack([(a[None, :] >> shifts[:, None]) & 1, (b[None, :] >> shifts[:, None]) & 1], axis=-1)
    y = ((s[None, :] >> shifts[:, None]) & 1)[..., None]
    return x.astype(jnp.float64), y.astype(jnp.float64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one round instead of three")
    args = ap.parse_args()
    rounds = 1 if args.quick else 3
    contenders = {"engine sweep, 1 worker": lambda: engine_sweep(1),
                  "engine sweep, 2 workers": lambda: engine_sweep(2)}
    compile_s = None
    if jax is None:
        print('JAX is not installed: the JAX peer is skipped (pip install "jax[cpu]" to compare)')
    else:
        peer, compile_s = jax_peer()
        contenders[f"JAX {jax.__version__} vmap+jit"] = peer
    best: dict[str, tuple] = {}
    for _ in range(rounds):
        for name, fn in contenders.items():
            got = fn()
            if name not in best or got[0] < best[name][0]:
                best[name] = got
    print(f"16-run grid: default model, learning rates {list(LRS)} x {SEEDS} seeds, {BASE.steps} steps each, "
          f"evaluated every {BASE.eval_every} steps on all 16384 pairs; {os.cpu_count()} cores; "
          f"best of {rounds} alternating round(s)")
    print(f"{'':30} {'wall s':>8} {'model-steps/s':>14} {'solved':>7} {'in parallel':>12}")
    for name, (wall, steps, solved, busy) in best.items():
        print(f"{name:30} {wall:>8.2f} {steps / wall:>14,.0f} {solved:>5}/16 {busy / wall:>12.2f}")
    print("(in parallel: the points' own training times over the wall time, i.e. how many trained at once; "
          "a second worker that only halves each point's share of the CPU doubles it without speeding up)")
    one, two = best["engine sweep, 1 worker"], best["engine sweep, 2 workers"]
    print(f"2 workers / 1 worker: {one[0] / two[0]:.2f}x faster (target >= 1.6x)")
    if compile_s is not None:
        peer = best[next(k for k in best if k.startswith("JAX"))]
        ratio = (two[1] / two[0]) / (peer[1] / peer[0])
        print(f"engine sweep (2 workers) / JAX peer, model-steps/s: {ratio:.2f}x "
              f"(JAX compile and first run: {compile_s:.1f} s, not counted)")


if __name__ == "__main__":
    main()
