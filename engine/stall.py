"""Recognising a run that has stopped learning: dead hidden units, or a loss stuck at chance.

Two ways a run can go on forever without learning, both common with ReLU at
a high learning rate:

- **Dead units**: every hidden unit of some layer gives the same values
  whatever the sum (a ReLU layer pushed below zero everywhere outputs 0; a
  saturated sigmoid outputs 1). No error can flow back through such a layer,
  so it never recovers. Checked on a few evaluation sums at each evaluation;
  :data:`DEAD_EVALS` evaluations in a row make the run stalled.
- **Loss at chance**: guessing each bit with probability one half gives a
  cross-entropy of ln 2 per bit. A run whose evaluation cross-entropy has
  stayed within :data:`CHANCE_TOL` of ln 2 for :data:`CHANCE_EVALS`
  evaluations, and whose best value in the second half of them is no better
  than in the first half (by :data:`MIN_PROGRESS`), is stalled. Slow learners
  that creep down from ln 2 (plain SGD at a small rate spends ~85
  evaluations there before solving) keep improving and are left alone.

:class:`StallWatch` holds the little state this needs; the trainer calls
:meth:`StallWatch.check` at every evaluation.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from engine.model import SequenceModel

CHANCE = math.log(2.0)  # cross-entropy per bit of a fifty-fifty guess
CHANCE_TOL = 0.02  # "at chance": within 2% of ln 2
CHANCE_EVALS = 50  # evaluations at chance, without progress, before a run is stalled
MIN_PROGRESS = 1e-3  # improvement of the best cross-entropy (per bit) that counts as moving
DEAD_EVALS = 3  # evaluations in a row with a layer that does not respond
DEAD_SPREAD = 1e-6  # a unit responds when its value differs by more than this between sums
PROBE_SUMS = 64  # evaluation sums the units are checked on


def unresponsive_layer(model: SequenceModel, x: np.ndarray) -> int | None:
    """The first layer (0-based) none of whose units respond to the input, or None.

    A unit responds when, at some time step, its value differs between the
    sums of ``x`` (B, T, I) by more than :data:`DEAD_SPREAD` (relative to the
    layer's largest value, when that is above 1).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        trace = model.forward(x)
    for l, layer in enumerate(trace.layers):
        h = layer.h  # (T, B, H)
        if h.shape[1] < 2:
            return None
        spread = float(np.max(h.max(axis=1) - h.min(axis=1)))
        scale = max(1.0, float(np.max(np.abs(h))))
        if spread <= DEAD_SPREAD * scale:
            return l
    return None


def suggestion(config) -> str:
    """What to try instead, for a person."""
    other = "tanh or sigmoid instead of relu" if config.activation == "relu" and config.cell == "rnn" else (
        "another cell or activation")
    return f"Try a smaller learning rate (now {config.lr:g}) or {other}, then reset."


class StallWatch:
    """Remembers the recent evaluations of one run and says when it has stalled."""

    def __init__(self, chance_evals: int = CHANCE_EVALS, dead_evals: int = DEAD_EVALS):
        self.recent = deque(maxlen=chance_evals)  # evaluation cross-entropies
        self.dead_evals = dead_evals
        self.dead_run = 0

    def state(self) -> dict:
        """What the watch remembers, as JSON-friendly values (for a saved training state)."""
        return {"recent": [float(v) for v in self.recent], "dead_run": self.dead_run}

    def set_state(self, state: dict) -> None:
        """Continue from :meth:`state` (an empty dict starts afresh)."""
        self.recent.clear()
        self.recent.extend(float(v) for v in state.get("recent", []))
        self.dead_run = int(state.get("dead_run", 0))

    def check(self, model: SequenceModel, x: np.ndarray, xent: float, step: int) -> str | None:
        """Record one evaluation; return why the run has stalled, or None.

        ``x`` (B, T, I) holds evaluation sums (the first :data:`PROBE_SUMS` are
        used), ``xent`` the evaluation cross-entropy per bit. Evaluations before
        any training step (``step == 0``) are not judged.
        """
        if step == 0:
            return None
        self.recent.append(xent)
        layer = unresponsive_layer(model, x[:PROBE_SUMS])
        self.dead_run = self.dead_run + 1 if layer is not None else 0
        if self.dead_run >= self.dead_evals:
            which = f"layer {layer + 1}'s" if model.config.layers > 1 else "the"
            return (f"{which} hidden units have all stopped responding (every sum gives them the same "
                    f"values) for {self.dead_run} evaluations, by step {step:,}")
        n = self.recent.maxlen
        if len(self.recent) < n:
            return None
        values = list(self.recent)
        at_chance = all(abs(v - CHANCE) <= CHANCE_TOL * CHANCE for v in values)
        progress = min(values[: n // 2]) - min(values[n // 2:])
        if at_chance and progress < MIN_PROGRESS:
            return (f"the evaluation loss has stayed at chance (cross-entropy {CHANCE:.3f}, a coin toss "
                    f"per bit) for {n} evaluations, by step {step:,}")
        return None
