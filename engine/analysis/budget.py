"""Analyses on a time budget: how many sums (and which widths) fit, from the cost estimate.

The analyses of a small model look at every evaluation sum in a fraction of a
second. A large uploaded model (four layers of 512 LSTM units on 64-bit sums
costs ~10^9 operations per sum) would take half an hour for the same work,
so each analysis gets a budget in seconds and looks at as many sums as
:mod:`engine.cost` says fit, never fewer than a floor that keeps the result
meaningful. A :class:`Sample` records what was chosen so the page can say
that (and how big) a sample was used.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import cost
from engine.config import Config

# Seconds each analysis may take. The Unrolled page runs the first three, plus two passes over
# its one sum and the drawing; on a heavily loaded machine each may overrun by a chunk, so
# together they stay at a third of the 15 s in which a page must be usable again.
WRONG_SUMS_S = 1.0  # finding sums the network gets wrong
CARRY_S = 2.0  # states for the correlation, probe, truth table and PCA
LENGTH_S = 2.5  # the length-generalisation curve
GRADIENT_S = 2.0  # gradient norms on a batch (forward and backward)


@dataclass(frozen=True)
class Sample:
    """How many sums an analysis looks at.

    Attributes
    ----------
    sums : sums evaluated (per width, for a length curve)
    wanted : sums the analysis would look at without a budget
    seconds : the budget it was sized to
    estimate : estimated seconds of the sized work
    """

    sums: int
    wanted: int
    seconds: float
    estimate: float

    @property
    def sampled(self) -> bool:
        """Whether the budget cut the work down."""
        return self.sums < self.wanted


def sums_within(config: Config, wanted: int, seconds: float, bits: int | None = None, floor: int = 1,
                backward: bool = False) -> Sample:
    """How many of ``wanted`` sums of width ``bits`` fit in ``seconds`` (at least ``floor``).

    ``backward`` counts a backward pass too (gradients cost about three forward passes).
    """
    factor = 1.0 + (cost.BACKWARD_FACTOR if backward else 0.0)
    fixed = factor * cost.forward_seconds(config, 0, bits)
    per_sum = factor * cost.sum_seconds(config, bits)
    fit = int((seconds - fixed) / per_sum) if per_sum > 0 else wanted
    n = max(min(wanted, fit), min(floor, wanted), 1)
    return Sample(sums=n, wanted=wanted, seconds=seconds, estimate=fixed + n * per_sum)


@dataclass(frozen=True)
class LengthPlan:
    """Widths and sums per width of a length curve sized to a budget."""

    widths: tuple[int, ...]
    sample: Sample  # sums per width
    all_widths: tuple[int, ...]  # the widths asked for

    @property
    def thinned(self) -> bool:
        """Whether some of the widths asked for were left out."""
        return len(self.widths) < len(self.all_widths)


def thin(widths, keep: int) -> tuple[int, ...]:
    """``keep`` of the sorted ``widths``, evenly spread, always the first and the last."""
    ws = sorted(set(int(w) for w in widths))
    if keep >= len(ws):
        return tuple(ws)
    if keep <= 1:
        return (ws[0],)
    picks = {round(i * (len(ws) - 1) / (keep - 1)) for i in range(keep)}
    return tuple(ws[i] for i in sorted(picks))


def plan_length(config: Config, widths, wanted: int, seconds: float = LENGTH_S,
                min_sums: int = 20) -> LengthPlan:
    """Widths and sums per width so a length curve costs about ``seconds``.

    Every width gets ``wanted`` sums when they fit. Otherwise the sums per
    width shrink down to ``min_sums``, and then widths are left out (evenly,
    keeping the first and the last) until ``min_sums`` each fit; with two
    widths left, they get as many sums as fit (at least one).
    """
    all_ws = tuple(sorted(set(int(w) for w in widths)))
    if not all_ws:
        raise ValueError("give at least one bit width")
    ws = all_ws
    while True:
        per_sum = sum(cost.sum_seconds(config, w) for w in ws)
        fixed = sum(cost.forward_seconds(config, 0, w) for w in ws)
        fit = int((seconds - fixed) / per_sum) if per_sum > 0 else wanted
        if fit >= min(min_sums, wanted) or len(ws) <= 2:
            break
        ws = thin(ws, max(2, len(ws) * 2 // 3))
    n = max(min(wanted, fit), 1)
    return LengthPlan(widths=ws, all_widths=all_ws,
                      sample=Sample(sums=n, wanted=wanted, seconds=seconds, estimate=fixed + n * per_sum))
