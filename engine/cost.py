"""What a configuration costs to train: multiply-adds per step and a rough time.

The estimate counts the multiply-adds of the recurrent layers' matrix products
(a cell with ``g`` gate blocks does ``g * H * (inputs + H)`` per sum and bit)
and the read-out, times three for a training step (forward, and the two
products of the backward pass), plus the step's share of the periodic
evaluation (a forward pass over the evaluation set every ``eval_every``
steps). Seconds come from a deliberately modest throughput, as on a busy
shared machine, plus a fixed cost per time step for NumPy's per-call
overhead: it is an order of magnitude to decide what may run live, not a
promise.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import data
from engine.config import Config

GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per cell
MACS_PER_SECOND = 4e8  # multiply-adds per second assumed for the estimate
SECONDS_PER_CALL_STEP = 2e-5  # NumPy overhead per time step and layer of one pass


@dataclass(frozen=True)
class StepCost:
    """The estimated cost of a configuration.

    Attributes
    ----------
    train_macs : multiply-adds of one training step
    eval_macs : multiply-adds of one evaluation (every ``eval_every`` steps)
    seconds : estimated wall time of one step, its share of evaluation included
    """

    train_macs: float
    eval_macs: float
    eval_every: int
    seconds: float

    @property
    def macs(self) -> float:
        """Multiply-adds per step, the step's share of evaluation included."""
        return self.train_macs + self.eval_macs / self.eval_every

    def describe(self) -> str:
        return f"about {_short(self.macs)} multiply-adds, {_duration(self.seconds)} per step"


def _short(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.3g}"


def _duration(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def forward_macs(config: Config) -> float:
    """Multiply-adds of one forward pass for one sum at one bit position."""
    g, H = GATES[config.cell], config.hidden
    macs = g * H * (2 + H)  # first layer: two input bits
    macs += (config.layers - 1) * g * H * (H + H)
    return macs + H  # read-out


def estimate(config: Config) -> StepCost:
    """The estimated cost of training ``config`` (validated first)."""
    config = config.validate()
    per_sum = forward_macs(config) * config.bits
    train = 3 * per_sum * config.batch
    n_eval = min(data.operand_limit(config.bits) ** 2, 16384)  # the size of data.eval_set
    evaluation = per_sum * n_eval
    overhead = SECONDS_PER_CALL_STEP * config.bits * config.layers
    seconds = (train + evaluation / config.eval_every) / MACS_PER_SECOND
    seconds += 3 * overhead + overhead / config.eval_every
    return StepCost(train_macs=train, eval_macs=evaluation, eval_every=config.eval_every, seconds=seconds)
