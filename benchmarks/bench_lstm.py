"""Training-step speed of the engine's 2x20 LSTM against PyTorch's ``nn.LSTM`` on the CPU.

Both sides train the reference LSTM task (two layers of 20 units, dropout
keep 0.5, sigmoid read-out, mean squared error, Adam, batch 64, 8-bit sums)
one step at a time: draw a batch, forward, backward, Adam update. The engine
is timed through its real :class:`engine.train.Trainer` step (evaluation
switched off); PyTorch through the equivalent module on batches drawn by the
same data code. Everything runs on one thread (BLAS threads are pinned before
NumPy loads; ``torch.set_num_threads(1)``), and the two sides are timed in
alternating rounds so that load from other processes hits both alike; the
best round of each counts.

Run: ``python benchmarks/bench_lstm.py [--steps 200] [--rounds 15]``.
PyTorch is optional (``pip install torch``); without it only the engine is timed.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread, like torch below (must precede NumPy)

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import data  # noqa: E402
from engine.config import preset  # noqa: E402
from engine.train import Trainer  # noqa: E402

CONFIG = preset("lstm").replace(steps=10_000_000, eval_every=1_000_000)  # train, never evaluate


def engine_step(dtype: str):
    """A zero-argument training step of the engine's LSTM preset in precision ``dtype``."""
    return Trainer(CONFIG.replace(dtype=dtype)).train_step


def torch_step():
    """The same training step in PyTorch, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(CONFIG.seed)
    H, keep = CONFIG.hidden, CONFIG.keep_prob

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            # dropout between the layers and on the top output = on every layer's output
            self.lstm = torch.nn.LSTM(2, H, num_layers=CONFIG.layers, dropout=1 - keep)
            self.drop = torch.nn.Dropout(1 - keep)
            self.out = torch.nn.Linear(H, 1)

        def forward(self, x):
            h, _ = self.lstm(x)
            return torch.sigmoid(self.out(self.drop(h)))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=CONFIG.lr)
    loss_fn = torch.nn.MSELoss()
    rng = np.random.default_rng(CONFIG.seed)

    def step():
        b = data.random_batch(rng, CONFIG.batch, CONFIG.bits)
        x = torch.from_numpy(np.ascontiguousarray(b.x.swapaxes(0, 1), dtype=np.float32))  # (T, B, 2)
        y = torch.from_numpy(np.ascontiguousarray(b.y.swapaxes(0, 1), dtype=np.float32))
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def time_round(step, n: int) -> float:
    """Steps per second over ``n`` steps."""
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return n / (time.perf_counter() - t0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200, help="training steps per timed round")
    ap.add_argument("--rounds", type=int, default=15, help="alternating rounds per side")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.rounds < 1:
        ap.error("--steps and --rounds must be at least 1")

    sides = {"engine (NumPy, float32: the preset)": engine_step("float32"),
             "engine (NumPy, float64)": engine_step("float64")}
    torch_side = torch_step()
    if torch_side is None:
        print("PyTorch is not installed: timing the engine only (pip install torch to compare).")
    else:
        import torch
        sides[f"PyTorch {torch.__version__} nn.LSTM (float32)"] = torch_side
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for step in sides.values():  # warm up: first calls allocate and fill caches
        for _ in range(min(50, args.steps)):
            step()
    for _ in range(args.rounds):
        for name, step in sides.items():
            rates[name].append(time_round(step, args.steps))

    print(f"2x{CONFIG.hidden} LSTM training step, batch {CONFIG.batch}, {CONFIG.bits} bits, one thread; "
          f"{args.rounds} alternating rounds of {args.steps} steps")
    print(f"{'implementation':<40} {'best steps/s':>12} {'median':>8} {'ms/step':>8} {'vs torch':>9}")
    ref = max(rates[list(sides)[-1]]) if torch_side is not None else None
    for name, r in rates.items():
        best = max(r)
        ratio = f"{best / ref:.2f}x" if ref else "-"
        print(f"{name:<40} {best:>12.0f} {statistics.median(r):>8.0f} {1000 / best:>8.3f} {ratio:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
