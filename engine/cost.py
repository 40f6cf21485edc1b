"""What a configuration costs, and the budgets the app holds runs and checks to.

The schema (:mod:`engine.schema`) says which values a setting may take; the
engine trains any of them. Some allowed combinations are too heavy for a page
that trains live or checks gradients by brute force (512 units in four LSTM
layers on 64-bit sums, batches of 4,096). Those are refused by the named rules
here, each with a message that gives the estimate and the limit, never by a
second, narrower range.
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
