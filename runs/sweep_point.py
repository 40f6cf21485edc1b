"""One point of a sweep: train a configuration and return what a sweep keeps of it.

:func:`train_point` is what a worker process (local or on a Dask cluster) runs:
it takes a :class:`~engine.config.Config`, trains it with
:class:`engine.train.Trainer` (evaluated on the evaluation set every
``eval_every`` steps, as the app does) and returns a :class:`PointResult`,
which is small, picklable and holds no live objects. The worker never touches
the store: the coordinator writes the result.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import asdict, dataclass, field

from engine import checkpoint, train_state
from engine.config import Config
from engine.train import DIVERGED, Trainer

SOLVED, FINISHED, FAILED = "solved", "finished", "failed"  # states of a trained point (and DIVERGED)
HISTORY_POINTS = 2000  # at most this many training-loss points are kept per run (every k-th step)


def _number(x: float) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class PointResult:
    """What one trained point returns.

    Attributes
    ----------
    state : "solved" (stopped at the step at which every evaluation sum was right),
        "finished" (the budget was used; ``solved_at_step`` says whether it solved
        on the way), "diverged" or "failed" (an error); as the run store means them
    steps : training steps taken
    solved_at_step : first evaluated step with every sum right, or None
    final_loss : evaluation loss at the last evaluation (None when not finite)
    exact_accuracy : fraction of evaluation sums entirely right at the last evaluation
    wall_s : seconds spent training and evaluating
    message : why a diverged or failed run stopped ("" otherwise)
    history : ``{"train": {column: list}, "evals": {column: list}}`` with the
        columns of :class:`engine.history.History` (training rows thinned to at
        most :data:`HISTORY_POINTS`, every evaluation); None for non-finite values
    weights : the trained model as ``.npz`` checkpoint bytes (None when failed)
    train_state : the trainer's whole state (:mod:`engine.train_state`, without the
        history), so the run can be continued exactly (None when failed)
    """

    state: str
    steps: int
    solved_at_step: int | None
    final_loss: float | None
    exact_accuracy: float | None
    wall_s: float
    message: str = ""
    history: dict = field(default_factory=dict, repr=False)
    weights: bytes | None = field(default=None, repr=False)
    train_state: bytes | None = field(default=None, repr=False)

    def steps_to_solve(self, budget: int) -> int:
        """The search's objective: the solving step, or ``budget`` for unsolved, diverged and failed runs."""
        if self.state in (DIVERGED, FAILED) or self.solved_at_step is None:
            return budget
        return self.solved_at_step

    def summary(self) -> dict:
        """The JSON-friendly figures (no history, no weights)."""
        d = asdict(self)
        del d["history"], d["weights"], d["train_state"]
        return d

    @classmethod
    def failed(cls, message: str, wall_s: float = 0.0) -> PointResult:
        return cls(FAILED, 0, None, None, None, wall_s, message)


def _curves(trainer: Trainer) -> dict[str, dict[str, list]]:
    """The trainer's history as lists: every evaluation, and training rows thinned to HISTORY_POINTS."""
    train, evals = trainer.history.train, trainer.history.evals
    stride = max(1, math.ceil(len(train) / HISTORY_POINTS))
    return {"train": {name: [_number(v) for v in train[name][::stride]] for name in train.names},
            "evals": {name: [_number(v) for v in evals[name]] for name in evals.names}}


def train_point(config: Config, stop_when_solved: bool = True) -> PointResult:
    """Train ``config`` for its step budget (stopping at the solving step with ``stop_when_solved``).

    Deterministic from ``config.seed``: the same config gives the same result in
    any process. Never raises: an error inside training gives a "failed" result
    with the error in ``message``.
    """
    t0 = time.perf_counter()
    try:
        trainer = Trainer(config)
        trainer.advance(config.steps, stop_when_solved=stop_when_solved)
        evals = trainer.history.evals
        state = DIVERGED if trainer.status == DIVERGED else FINISHED if trainer.done else SOLVED
        return PointResult(
            state=state, steps=trainer.step, solved_at_step=trainer.solved_at_step,
            final_loss=_number(evals.last("eval_loss")), exact_accuracy=_number(evals.last("exact_acc")),
            wall_s=time.perf_counter() - t0, message=trainer.message, history=_curves(trainer),
            weights=checkpoint.to_bytes(trainer.model, meta={"step": trainer.step}),
            train_state=train_state.capture(trainer, history=False))
    except Exception as e:  # one broken point must not take the sweep down with it
        last = traceback.extract_tb(e.__traceback__)[-1]
        where = f" ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
        return PointResult.failed(f"{type(e).__name__}: {e}{where}", time.perf_counter() - t0)
