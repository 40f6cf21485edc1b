"""Length generalisation: the same weights on longer numbers.

A recurrent network applies the same cell at every bit, so a model trained
on 8-bit sums can be run on 64-bit ones. If it learned the adding algorithm
(keep the carry, add three bits) it stays exact on every width; if it
memorised 8-bit patterns it fails beyond them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from engine.analysis.budget import LENGTH_S, LengthPlan, plan_length
from engine.analysis.states import forward_probs
from engine.data import MAX_BITS, check_bits, eval_set
from engine.model import SequenceModel


@dataclass(frozen=True)
class LengthCurve:
    """Accuracy against bit width.

    Attributes
    ----------
    widths : (K,) bit widths
    exact_acc : (K,) share of sums entirely right at each width
    bit_acc : (K,) share of output bits right
    pairs : (K,) how many sums were tried at each width
    train_bits : the width the model was trained on
    plan : how the work was sized to a time budget (None when the caller fixed it)
    """

    widths: np.ndarray
    exact_acc: np.ndarray
    bit_acc: np.ndarray
    pairs: np.ndarray
    train_bits: int
    plan: LengthPlan | None = None

    cut_short: bool = False  # the time ran out before every planned sum was tried

    @property
    def sampled(self) -> bool:
        """Whether a time budget cut the work: fewer sums than wanted, or widths left out."""
        return self.plan is not None and (self.plan.sample.sampled or self.cut_short or self.thinned)

    @property
    def thinned(self) -> bool:
        """Whether some of the widths asked for were left out to fit a time budget."""
        return self.plan is not None and len(self.widths) < len(self.plan.all_widths)


def default_widths(train_bits: int) -> list[int]:
    """A grid from the training width to 64: every width up to 16, then every 4 to 32, every 8 to 64."""
    train = check_bits(train_bits)
    grid = list(range(1, 17)) + list(range(20, 33, 4)) + list(range(40, MAX_BITS + 1, 8))
    return sorted({w for w in grid if w >= train} | {train})


def accuracy_at(model: SequenceModel, bits: int, max_pairs: int = 1000, seed: int = 1234,
                deadline: float | None = None) -> tuple[float, float, int]:
    """Exact-sum and bit accuracy of ``model`` on sums of width ``bits`` (sampled unless few exist).

    Returns (exact, bit accuracy, sums tried); past ``deadline`` (a ``time.perf_counter()``
    value) fewer sums are tried (see :func:`engine.analysis.states.forward_chunks`).
    """
    return _accuracy(model, bits, max_pairs, seed, deadline)[:3]


def _accuracy(model, bits, max_pairs, seed, deadline) -> tuple[float, float, int, int]:
    """:func:`accuracy_at` and how many sums there were to try."""
    batch = eval_set(check_bits(bits), max_pairs=max_pairs, seed=seed + bits)
    prob = forward_probs(model, batch.x, deadline=deadline)  # (T, B); NaN (diverged) counts as wrong
    right = (prob >= 0.5) == (batch.y[: prob.shape[1], :, 0].T >= 0.5)
    return float(right.all(axis=0).mean()), float(right.mean()), prob.shape[1], len(batch)


def length_generalisation(model: SequenceModel, widths=None, max_pairs: int | None = 1000,
                          seed: int = 1234, seconds: float = LENGTH_S, progress=None) -> LengthCurve:
    """Exact-sum accuracy for every width in ``widths`` (default: the training width up to 64).

    Each width gets its own fixed sample of ``max_pairs`` sums (every sum when
    there are fewer), drawn from ``seed``, so repeated calls agree.
    ``max_pairs=None`` sizes the work to about ``seconds``: from the cost
    estimate (:func:`engine.analysis.budget.plan_length`) up to 1000 sums per
    width, fewer for wide models, and for the widest some widths left out;
    then, should the machine be slower than estimated, the work stops when the
    time is up (the first and the last width are always measured, the others
    in between as time allows). The curve's ``plan`` and ``pairs`` say what
    was done. ``progress(done, total)`` is called after each width.
    """
    train = model.config.bits
    ws = list(range(train, MAX_BITS + 1)) if widths is None else [check_bits(int(w)) for w in widths]
    if not ws:
        raise ValueError("give at least one bit width")
    plan, deadline = None, None
    if max_pairs is None:
        deadline = time.perf_counter() + seconds
        plan = plan_length(model.config, ws, wanted=1000, seconds=seconds)
        ws, max_pairs = list(plan.widths), plan.sample.sums
        ws = ws[:1] + ws[-1:] + ws[1:-1] if len(ws) > 1 else ws  # the ends first
    results = {}
    for i, w in enumerate(ws):
        if i >= 2 and deadline is not None and time.perf_counter() >= deadline:
            break
        results[w] = _accuracy(model, w, max_pairs, seed, deadline)
        if progress is not None:
            progress(i + 1, len(ws))
    done = sorted(results)
    exact, bit, pairs, there = zip(*(results[w] for w in done), strict=True)
    cut = len(done) < len(ws) or any(p < t for p, t in zip(pairs, there, strict=True))
    return LengthCurve(widths=np.asarray(done, dtype=np.int64), exact_acc=np.asarray(exact),
                       bit_acc=np.asarray(bit), pairs=np.asarray(pairs, dtype=np.int64), train_bits=train,
                       plan=plan, cut_short=cut)
