"""Training speed of the engine's vanilla RNN against two baselines, in one run.

- engine: the default preset (hidden 16, batch 64, 8 bits, Adam, cross-entropy)
- per-sample loop: the tutorial's algorithm, one sum per update (engine.classic)
- PyTorch CPU autograd on the identical model (same initial weights, same
  batches, float64, one thread), when torch is installed

Prints samples/s and steps/s for each, their ratios, and time-to-solve (100%
exact on the evaluation set, checked every 20 steps). Run by hand:

    python benchmarks/bench_engine.py            # about a minute
    python benchmarks/bench_engine.py --quick    # fewer seeds, shorter timings
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.runtime import tune_process  # noqa: E402  (before NumPy loads)

tune_process()

import numpy as np  # noqa: E402

from engine import Config, Trainer, data  # noqa: E402
from engine.config import PRESETS  # noqa: E402

try:
    import torch
except ImportError:  # torch is a benchmark-only extra: pip install torch==2.13.0
    torch = None


def rate(fn, seconds: float) -> float:
    """Calls of ``fn`` per second over about ``seconds``."""
    n, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        fn()
        n += 1
    return n / elapsed


def interleaved_rates(fns: dict, rounds: int, seconds: float) -> dict[str, float]:
    """Best calls/s of each function over ``rounds`` alternating rounds.

    Alternating spreads any background load over every contender alike, and the
    best round is the least disturbed one, so the ratios are fair on a busy machine.
    """
    for fn in fns.values():  # warm up: first calls allocate and fill caches
        for _ in range(20):
            fn()
    best = dict.fromkeys(fns, 0.0)
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = max(best[name], rate(fn, seconds))
    return best


def engine_solve(seed: int, max_steps: int = 5000) -> tuple[int | None, float]:
    t = Trainer(Config(seed=seed, steps=max_steps))
    t0 = time.perf_counter()
    while not t.done and t.solved_at_step is None:
        t.advance(t.config.eval_every)
    return t.solved_at_step, time.perf_counter() - t0


def loop_solve(seed: int, max_samples: int) -> tuple[int | None, float]:
    t = Trainer(PRESETS["classic"].replace(seed=seed, steps=max_samples))
    t0 = time.perf_counter()
    while not t.done and t.solved_at_step is None:
        t.advance(t.config.eval_every)
    return t.solved_at_step, time.perf_counter() - t0


class TorchRNN:
    """The engine's default model written with PyTorch autograd (float64)."""

    def __init__(self, params: dict[str, np.ndarray], lr: float):
        self.p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        self.opt = torch.optim.Adam(list(self.p.values()), lr=lr)

    def logits(self, x: torch.Tensor) -> torch.Tensor:  # x (T, B, 2) -> (T, B, 1)
        p = self.p
        xin = x @ p["L1.Wxh"] + p["L1.bh"]
        h = torch.zeros(x.shape[1], p["L1.Whh"].shape[0], dtype=torch.float64)
        hs = []
        for t in range(x.shape[0]):
            h = torch.sigmoid(xin[t] + h @ p["L1.Whh"])
            hs.append(h)
        return torch.stack(hs) @ p["Why"] + p["by"]

    def step(self, xy: tuple[np.ndarray, np.ndarray]) -> float:
        """One Adam step on ``data.random_xy``'s time-major inputs and targets (the engine's data path)."""
        x, y = (torch.from_numpy(np.ascontiguousarray(a)) for a in xy)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(self.logits(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.detach())

    def exact(self, batch: data.AdditionBatch) -> float:
        with torch.no_grad():
            z = self.logits(torch.from_numpy(np.ascontiguousarray(np.swapaxes(batch.x, 0, 1)))).numpy()
        right = (z >= 0) == (np.swapaxes(batch.y, 0, 1) >= 0.5)
        return float(right.all(axis=(0, 2)).mean())


def torch_solve(seed: int, max_steps: int = 5000) -> tuple[int | None, float]:
    cfg = Config(seed=seed)
    trainer = Trainer(cfg)  # only for the identical initial weights and evaluation set
    model = TorchRNN(trainer.model.params, cfg.lr)
    rng = np.random.default_rng(seed)
    from engine.model import SequenceModel

    SequenceModel(cfg, rng=rng)  # advance rng past the weights exactly as the Trainer does
    t0 = time.perf_counter()
    for step in range(1, max_steps + 1):
        model.step(data.random_xy(rng, cfg.batch, cfg.bits))
        if step % cfg.eval_every == 0 and model.exact(trainer.eval_batch) == 1.0:
            return step, time.perf_counter() - t0
    return None, time.perf_counter() - t0


def same_model_check() -> float:
    """Largest difference between the engine's and torch's losses over 50 identical steps."""
    cfg = Config(seed=0)
    t = Trainer(cfg)
    model = TorchRNN(t.model.params, cfg.lr)
    rng = np.random.default_rng(0)
    from engine.model import SequenceModel

    SequenceModel(cfg, rng=rng)
    worst = 0.0
    for _ in range(50):
        mine = t.train_step()
        theirs = model.step(data.random_xy(rng, cfg.batch, cfg.bits))
        worst = max(worst, abs(mine - theirs))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 seeds, 3 timing rounds")
    args = ap.parse_args()
    seeds = range(3 if args.quick else 5)
    rounds = 3 if args.quick else 8

    cfg = Config()
    fns = {"engine": Trainer(cfg.replace(steps=10_000_000, eval_every=1_000_000)).train_step,
           "loop": Trainer(PRESETS["classic"].replace(steps=10_000_000, eval_every=1_000_000)).train_step}
    if torch is not None:
        torch.set_num_threads(1)
        tm = TorchRNN(Trainer(cfg).model.params, cfg.lr)
        rng = np.random.default_rng(1)
        fns["torch"] = lambda: tm.step(data.random_xy(rng, cfg.batch, cfg.bits))
    best = interleaved_rates(fns, rounds, seconds=0.5)
    eng_steps, loop_samples, torch_steps = best["engine"], best["loop"], best.get("torch")
    rows = [("engine (batch 64)", eng_steps * cfg.batch, eng_steps),
            ("per-sample loop", loop_samples, loop_samples)]
    if torch_steps:
        rows.append(("PyTorch CPU autograd", torch_steps * cfg.batch, torch_steps))

    print(f"Training throughput (hidden {cfg.hidden}, 8 bits, {os.cpu_count()} cores, BLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}, torch {torch.__version__ if torch else 'absent'})")
    print(f"best of {rounds} alternating rounds of 0.5 s each")
    print(f"{'':24} {'samples/s':>12} {'steps/s':>10}")
    for name, sps, st in rows:
        print(f"{name:24} {sps:>12,.0f} {st:>10,.0f}")
    print(f"engine / per-sample loop, samples/s: {eng_steps * cfg.batch / loop_samples:.1f}x (target >= 40x)")
    if torch_steps:
        print(f"engine / PyTorch, steps/s:           {eng_steps / torch_steps:.1f}x (target >= 3x)")
        print(f"same model: largest loss difference over 50 identical steps {same_model_check():.1e}")

    print(f"\nTime to solve 8-bit addition (every one of the 16384 pairs right), seeds {list(seeds)}")
    results = {"engine": [engine_solve(s) for s in seeds]}
    if torch is not None:
        results["PyTorch CPU"] = [torch_solve(s) for s in seeds]
    cap = 30_000 if args.quick else 100_000
    results["per-sample loop"] = [loop_solve(s, cap) for s in list(seeds)[:2]]
    for name, res in results.items():
        steps = [s for s, _ in res]
        solved = [s for s in steps if s is not None]
        med_steps = statistics.median(solved) if len(solved) == len(steps) else None
        med_wall = statistics.median(w for _, w in res)
        unit = "samples" if name == "per-sample loop" else "steps"
        print(f"{name:16} {unit} to solve: {steps}  median {med_steps}  median wall {med_wall:.2f} s")
    eng_med = statistics.median([s if s is not None else 10**9 for s, _ in results["engine"]])
    print(f"engine median steps to solve: {eng_med} (target <= 1000)")


if __name__ == "__main__":
    main()
