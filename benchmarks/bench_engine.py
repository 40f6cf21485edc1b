"""Training speed of the engine's default model against JAX and PyTorch, in one run.

- engine: ``Trainer`` on the default preset (hidden 16, batch 64, 8 bits, Adam,
  cross-entropy, float64) with evaluation off, and the same with plain SGD
- JAX: the same model and optimizer, the whole training step compiled by ``jax.jit``
  (``lax.scan`` recurrence, ``jax.grad``), float64, CPU, asynchronous dispatch
- PyTorch CPU autograd on the same model, float64, one thread
- the per-sample loop: the tutorial's algorithm, one sum per update (engine.classic)

Every contender starts from the same weights and trains on the same batches (the
script checks that the losses agree). The contenders run in alternating rounds of
about half a second each, so load from other processes hits them alike; the
script prints each one's best round, the spread of the rounds, and the per-round
ratios. Then: the share of a run's time spent evaluating with the app's default
schedule (every 20 steps), and steps and wall time to solve. JAX and PyTorch are
benchmark-only extras (see benchmarks/peers.py); a missing one is skipped with a
message. Run by hand:

    python benchmarks/bench_engine.py            # about two minutes
    python benchmarks/bench_engine.py --quick    # fewer rounds and seeds
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
from peers import JaxRNN, TorchRNN  # noqa: E402

from engine import Config, Trainer  # noqa: E402
from engine.batches import BatchStream  # noqa: E402
from engine.config import PRESETS  # noqa: E402
from engine.model import SequenceModel  # noqa: E402

CHUNK = 50  # steps per timed call
OPTIMIZERS = {"adam": 0.05, "sgd": 0.5}  # optimizer -> learning rate (Adam's is the default preset's)


def peer(cls, params, lr, optimizer):
    """A peer model, or None (with a message) when its library is not installed."""
    try:
        return cls(params, lr, optimizer)
    except ImportError as e:
        print(f"[skipped] {cls.name}: {e.name} is not installed (benchmark-only, see peers.py)")
        return None


def batches_like_trainer(cfg: Config) -> BatchStream:
    """The batches a Trainer with ``cfg`` draws: its generator advanced past the initial weights."""
    rng = np.random.default_rng(cfg.seed)
    SequenceModel(cfg, rng=rng)
    return BatchStream(rng, cfg.batch, cfg.bits)


def stepper(model, stream: BatchStream):
    def run():
        for _ in range(CHUNK):
            model.step(*stream.next())
        if hasattr(model, "sync"):
            model.sync()
    return run


def contenders(optimizer: str) -> dict:
    cfg = Config(optimizer=optimizer, lr=OPTIMIZERS[optimizer], steps=10_000_000, eval_every=1_000_000)
    engine = Trainer(cfg)
    out = {"engine": lambda: engine.advance(CHUNK)}
    for key, cls in (("jax", JaxRNN), ("torch", TorchRNN)):
        model = peer(cls, engine.model.params, cfg.lr, optimizer)
        if model is not None:
            out[key] = stepper(model, batches_like_trainer(cfg))
    return out


def interleaved(fns: dict, rounds: int, seconds: float) -> dict[str, list[float]]:
    """Steps/s of each contender in each of ``rounds`` alternating rounds."""
    for fn in fns.values():  # warm up: compile, allocate, fill caches
        for _ in range(3):
            fn()
    rates = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n, t0 = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - t0) < seconds:
                fn()
                n += CHUNK
            rates[name].append(n / elapsed)
    return rates


def same_model_check(optimizer: str, steps: int = 50) -> dict[str, float]:
    """Largest loss difference between the engine and each peer over ``steps`` identical steps."""
    cfg = Config(optimizer=optimizer, lr=OPTIMIZERS[optimizer])
    engine = Trainer(cfg.replace(steps=10_000))
    models = {k: peer(c, engine.model.params, cfg.lr, optimizer)
              for k, c in (("jax", JaxRNN), ("torch", TorchRNN))}
    streams = {k: batches_like_trainer(cfg) for k in models}
    worst = dict.fromkeys((k for k, m in models.items() if m is not None), 0.0)
    for _ in range(steps):
        mine = engine.train_step()
        for k in worst:
            worst[k] = max(worst[k], abs(mine - float(models[k].step(*streams[k].next()))))
    return worst


class TimedTrainer(Trainer):
    """A Trainer that adds up the wall time of its evaluations."""

    eval_seconds = 0.0

    def _record_eval(self, full: bool) -> None:
        t0 = time.perf_counter()
        super()._record_eval(full)
        self.eval_seconds += time.perf_counter() - t0


def eval_share(seed: int, stop_when_solved: bool) -> tuple[float, int]:
    """Share of a default run's wall time (construction included) spent evaluating."""
    t0 = time.perf_counter()
    t = TimedTrainer(Config(seed=seed))
    t.advance(t.config.steps, stop_when_solved=stop_when_solved)
    return t.eval_seconds / (time.perf_counter() - t0), t.step


def solve(config: Config) -> tuple[int | None, float]:
    t0 = time.perf_counter()
    t = Trainer(config)
    t.advance(config.steps, stop_when_solved=True)
    return t.solved_at_step, time.perf_counter() - t0


def spread(xs: list[float]) -> str:
    return f"{max(xs):>9,.0f} {statistics.median(xs):>9,.0f} {min(xs):>9,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 seeds, 3 timing rounds")
    args = ap.parse_args()
    seeds = range(3 if args.quick else 5)
    rounds = 3 if args.quick else 8
    print(f"Training steps/s (hidden 16, batch 64, 8 bits, float64; {os.cpu_count()} cores shared, "
          f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())})")
    print(f"{rounds} alternating rounds of 0.5 s per contender; best / median / worst round")
    engine_adam = None
    for optimizer in OPTIMIZERS:
        rates = interleaved(contenders(optimizer), rounds, 0.5)
        engine_adam = engine_adam or rates["engine"]
        print(f"\n{optimizer}:{'':22} {'best':>9} {'median':>9} {'worst':>9}")
        for name, r in rates.items():
            print(f"  {name:28}{spread(r)}")
        for name in rates.keys() - {"engine"}:
            per_round = [e / o for e, o in zip(rates["engine"], rates[name], strict=True)]
            print(f"  engine / {name}: best rounds {max(rates['engine']) / max(rates[name]):.2f}x; "
                  f"per round median {statistics.median(per_round):.2f}x, "
                  f"range {min(per_round):.2f}-{max(per_round):.2f}x")
        worst = same_model_check(optimizer)
        if worst:
            print("  same model: largest loss difference over 50 identical steps "
                  + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))

    loop = Trainer(PRESETS["classic"].replace(steps=10_000_000, eval_every=1_000_000))
    loop_rate = interleaved({"loop": lambda: loop.advance(CHUNK)}, 1, 1.0)["loop"][0]
    print(f"\nper-sample loop: {loop_rate:,.0f} samples/s; engine (Adam, best round) "
          f"{max(engine_adam) * 64 / loop_rate:.0f}x its samples/s")

    Trainer(Config())  # builds the evaluation set's prefix tree, once per process (about 10 ms)
    print("\nShare of a run's time spent evaluating (default config: eval every 20 steps, 1000 steps)")
    for stop in (False, True):
        shares = [eval_share(s, stop) for s in seeds]
        what = "stopping when solved" if stop else "the whole budget    "
        print(f"  {what}: median {statistics.median(x for x, _ in shares):.0%}, "
              f"seeds {', '.join(f'{x:.0%}' for x, _ in shares)} (steps {[n for _, n in shares]})")

    print(f"\nTime to solve 8-bit addition (every one of the 16384 pairs right), seeds {list(seeds)}")
    res = [solve(Config(seed=s, steps=5000)) for s in seeds]
    print(f"  engine: steps {[s for s, _ in res]}, median wall {statistics.median(w for _, w in res):.2f} s "
          "(target median steps <= 1000)")
    cap = 30_000 if args.quick else 100_000
    res = [solve(PRESETS["classic"].replace(seed=s, steps=cap)) for s in list(seeds)[:2]]
    print(f"  per-sample loop: samples {[s for s, _ in res]}, median wall "
          f"{statistics.median(w for _, w in res):.2f} s")


if __name__ == "__main__":
    main()
