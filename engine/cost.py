"""What a configuration costs, and the budgets the app holds runs and checks to.

The schema (:mod:`engine.schema`) says which values a setting may take; the
engine trains any of them. Some allowed combinations are too heavy for a page
that trains live or checks gradients by brute force (512 units in four LSTM
layers on 64-bit sums, batches of 4,096). Those are refused by the named rules
here, each with a message that gives the estimate and the limit, never by a
second, narrower range.

The same counts, as floating-point operations and rough seconds, size the
samples that analyses of a large uploaded model look at
(:mod:`engine.analysis.budget`). A recurrent layer with ``H`` units and ``I``
inputs does, per sum and time step, ``blocks`` matrix products of
``(I + H) x H`` (one for a vanilla RNN, three gate blocks for a GRU, four for an
LSTM), plus element-wise work; backpropagation costs about twice the forward
pass. Seconds come from :data:`FLOPS_PER_SECOND`, a deliberately low rate (a
shared core, float64), plus a fixed cost per NumPy call, so estimates err on
the slow side. Measured on a busy 2-core machine: forward passes of wide models
ran at 4-14 GFLOP/s, training steps at 2-3 GFLOP/s, and small models are ruled
by the per-call cost; expect the estimate to be right within a factor of a few.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.schema import number

GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per recurrent layer
LIVE_LIMIT = 5e8  # multiply-adds per training step the app trains live (about half a second a step)
# The gradient check runs the network twice per weight: up to a 4-layer LSTM of 8 units.
CHECK_LIMIT = 1.5e8


def forward_cost(cell: str, hidden: int, layers: int, bits: int, batch: int) -> float:
    """Multiply-adds of one forward pass over ``batch`` sums of ``bits`` steps."""
    g, inputs, macs = GATES.get(cell, 4), 2, 0
    for _ in range(layers):
        macs += g * hidden * (inputs + hidden)
        inputs = hidden
    return float(batch * bits * (macs + hidden))  # + the read-out


def parameters(cell: str, hidden: int, layers: int) -> int:
    """Number of weights (biases included) of a model."""
    g, inputs, n = GATES.get(cell, 4), 2, 0
    for _ in range(layers):
        n += g * hidden * (inputs + hidden + 1) + (hidden if cell == "gru" else 0)  # GRU: its own b_hn
        inputs = hidden
    return n + hidden + 1


def step_cost(config) -> float:
    """Multiply-adds of one training step: a forward pass and a backward pass (about twice as much)."""
    return 3 * forward_cost(config.cell, config.hidden, config.layers, config.bits, config.batch)


def check_cost(config, batch: int, bits: int) -> float:
    """Multiply-adds of a finite-difference gradient check: two forward passes per weight."""
    n = parameters(config.cell, config.hidden, config.layers)
    return 2 * n * forward_cost(config.cell, config.hidden, config.layers, bits, batch)


@dataclass(frozen=True)
class Budget:
    """A named limit on an estimated cost, with the message a refused configuration gets."""

    name: str
    limit: float
    what: str  # what is too heavy, for the message
    advice: str

    def refuse(self, cost: float) -> str:
        """Why a configuration of this ``cost`` is refused ("" when it is within the limit)."""
        if cost <= self.limit:
            return ""
        return (f"{self.what}: estimated cost {number(round(cost))} multiply-adds, limit "
                f"{number(round(self.limit))} ({self.name}). {self.advice}")


LIVE = Budget("live training budget", LIVE_LIMIT, "Too heavy to train live on this page, per step",
              "Use fewer hidden units, layers or bits, or a smaller batch (the command line trains any "
              "allowed size).")
CHECK = Budget("gradient-check budget", CHECK_LIMIT, "Too heavy to check by nudging every weight",
               "Use fewer hidden units or layers.")


def live_problem(config) -> str:
    """Why the app will not train ``config`` live ("" when it will)."""
    return LIVE.refuse(step_cost(config))


def check_problem(config, batch: int, bits: int) -> str:
    """Why the app will not run a gradient check of ``config`` ("" when it will)."""
    return CHECK.refuse(check_cost(config, batch, bits))


# --- operations and rough seconds (sizing analyses) -------------------------------------------

ELEMENTWISE = 12  # element-wise operations per unit and gate block per step (activations, products)
BACKWARD_FACTOR = 2.0  # backpropagation costs about twice the forward pass
FLOPS_PER_SECOND = 2e9  # a cautious float64 rate for these shapes on one shared core
FLOAT32_SPEEDUP = 2.0  # float32 runs about this much faster on wide models
CALL_SECONDS = 1e-5  # fixed cost of one layer's time step in one pass (NumPy call overhead)
STEP_SECONDS = 5e-4  # fixed cost of a training step outside the layers (data, loss, optimiser)


def blocks(cell: str) -> int:
    """Matrix blocks per time step of a cell kind (a GRU or LSTM computes several gates)."""
    try:
        return GATES[cell]
    except KeyError:
        raise ValueError(f"cell must be one of {', '.join(GATES)} (got {cell!r})") from None


def step_flops(config) -> float:
    """Forward operations of one sum through one time step (every layer and the read-out)."""
    k = blocks(config.cell)
    macs = forward_cost(config.cell, config.hidden, config.layers, bits=1, batch=1)
    return 2.0 * macs + ELEMENTWISE * k * config.hidden * config.layers


def forward_flops(config, sums: int, bits: int | None = None) -> float:
    """Forward operations of ``sums`` sums of width ``bits`` (default: the training width)."""
    T = config.bits if bits is None else bits
    return step_flops(config) * T * max(int(sums), 0)


def train_step_flops(config) -> float:
    """Operations of one training step: a forward and a backward pass over ``config.batch`` sums."""
    sums = 1 if config.algorithm == "classic" else config.batch
    return (1.0 + BACKWARD_FACTOR) * forward_flops(config, sums)


def _rate(config) -> float:
    return FLOPS_PER_SECOND * (FLOAT32_SPEEDUP if config.dtype == "float32" else 1.0)


def forward_seconds(config, sums: int, bits: int | None = None, passes: int = 1) -> float:
    """Rough seconds to run ``sums`` sums of width ``bits`` forward, in ``passes`` chunks."""
    T = config.bits if bits is None else bits
    calls = CALL_SECONDS * T * config.layers * max(int(passes), 1)
    return forward_flops(config, sums, T) / _rate(config) + calls


def sum_seconds(config, bits: int | None = None) -> float:
    """Rough seconds per extra sum in a large forward pass (no per-call cost): sizes samples."""
    return forward_flops(config, 1, bits) / _rate(config)


def train_step_seconds(config) -> float:
    """Rough seconds of one training step."""
    calls = (1.0 + BACKWARD_FACTOR) * CALL_SECONDS * config.bits * config.layers
    return train_step_flops(config) / _rate(config) + calls + STEP_SECONDS
