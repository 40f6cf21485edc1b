"""The trainer: advances a model a number of steps and records what happened.

It is fully deterministic from ``config.seed`` (one ``np.random.Generator``
draws the weights, the data and the dropout masks), never raises on a
diverging run (it stops and reports ``status == "diverged"``), and can be
advanced in small time-boxed chunks so a UI stays responsive.

Speed: without dropout the batches are drawn a block of steps at a time
(:class:`engine.batches.BatchStream`, the same sums), the default model family
(one sigmoid RNN layer) trains with :class:`engine.fused.FusedRNNStep`, and the
scheduled evaluations run on a fixed sample of ``EVAL_SAMPLE`` sums, the whole
evaluation set being evaluated when the sample is all right (so ``solved_at_step``
keeps its meaning) and at the end of the budget.
"""

from __future__ import annotations

import math
import time

import numpy as np

from engine import classic, data, losses, optim
from engine.batches import BatchStream
from engine.config import Config
from engine.evaluation import EVAL_CHUNK, EVAL_SAMPLE, Schedule, evaluate  # noqa: F401 (kept importable)
from engine.fused import FusedRNNStep, fusable
from engine.history import History
from engine.model import SequenceModel
from engine.stall import StallWatch, suggestion

READY, TRAINING, FINISHED, DIVERGED, STALLED = "ready", "training", "finished", "diverged", "stalled"
ENDED = (DIVERGED, STALLED)  # states a run cannot train on from (a reset starts afresh)

# A run has blown up (even before anything overflows) when, at an evaluation,
# the evaluation set's cross-entropy is this many times its value before
# training, or a weight is larger than MAX_WEIGHT. Cross-entropy is judged
# whatever the training loss: squared error on a sigmoid is bounded by 1 and
# never grows tenfold, while cross-entropy grows without bound as confident
# answers go wrong. Healthy runs of every preset stay within 1.05x and
# |w| < 12; learning rates of 100 reach 30-400x and |w| of 400-4000.
LOSS_BLOWUP = 10.0
MAX_WEIGHT = 1e3

class Trainer:
    """Trains a :class:`SequenceModel` on random sums as ``config`` says.

    Attributes
    ----------
    config : the configuration (``lr`` follows :meth:`set_lr`)
    model : the model being trained (its ``params`` change in place)
    history : :class:`History` of every step and evaluation
    step, samples : steps taken and sums seen so far
    status : "ready", "training", "finished" (budget used), "diverged" or "stalled" (see
        :mod:`engine.stall`: dead units or a loss stuck at chance)
    message : why the run stopped, for a person to read
    solved_at_step : first evaluated step with every evaluation sum right, or None
    last_dh_norm : (layers, T) gradient norm reaching each step in the latest step, or None

    Every ``eval_every`` steps the trainer evaluates a fixed sample of the
    evaluation set (the ``history.evals`` row holds its figures); when
    every sum of the sample is right and the run is not solved yet, and at the end
    of the budget, it evaluates the whole set instead (see :mod:`engine.evaluation`).
    A sum wrong in the sample is wrong in the set, so ``solved_at_step`` is the same
    as evaluating everything.
    """

    def __init__(self, config: Config, model: SequenceModel | None = None):
        self.config = config.validate()
        self.rng = np.random.default_rng(config.seed)
        if config.algorithm == "classic":
            # The tutorial's legacy RandomState stream, kept private to this run.
            self.legacy_rng = np.random.RandomState(config.seed)
            params = classic.init_params(self.legacy_rng, config.hidden)
            model = model or SequenceModel(config, params=params)
        self.model = model or SequenceModel(config, rng=self.rng)
        self.optimizer = optim.make(config.optimizer, config.lr)
        self.loss_fn = losses.get(config.loss)
        self.eval_schedule = Schedule(config.bits)  # the evaluation set and its sample
        self.eval_batch = self.eval_schedule.full
        # Batches a block at a time when nothing else draws from rng between them (no dropout);
        # to continue a run exactly, save self.batches.position() and seek() to it.
        self.batches = (BatchStream(self.rng, config.batch, config.bits, self.model.dtype)
                        if config.algorithm != "classic" and config.keep_prob == 1.0 else None)
        self._fused = FusedRNNStep(self.model, config.batch, config.bits) if fusable(self.config) else None
        self.history = History()
        self.step = 0
        self.samples = 0
        self.status = READY
        self.message = ""
        self.solved_at_step: int | None = None
        self._dh_norm: np.ndarray | None = None  # (layers, T) from the latest unfused step
        self._fused_norms = False  # whether the fused step holds the latest step's gradients
        self.step_seconds = 0.002  # running average of the wall time of one step (sizes advance_for)
        self._start_xent = math.nan  # the evaluation cross-entropy before training (divergence test)
        self.eval_xent = math.nan  # the latest evaluation cross-entropy
        self.stall_watch = StallWatch()  # dead units or a loss stuck at chance end the run (engine.stall)
        self._record_eval(full=False)

    @property
    def last_dh_norm(self) -> np.ndarray | None:
        return self._fused.dh_norm() if self._fused_norms else self._dh_norm

    # --- control ------------------------------------------------------------

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next step on; nothing else is reset."""
        self.config = self.config.replace(lr=lr)
        self.optimizer.lr = lr

    def set_steps(self, steps: int) -> None:
        """Change the step budget: a finished run can be extended, and a budget at or
        below the steps already taken finishes the run (a diverged run stays diverged)."""
        self.config = self.config.replace(steps=steps)
        if self.status in ENDED:
            return
        if self.step >= steps:
            self.status = FINISHED
        elif self.status == FINISHED:
            self.status = TRAINING

    @property
    def done(self) -> bool:
        return self.status in (FINISHED, *ENDED)

    # --- training -----------------------------------------------------------

    def train_step(self) -> float:
        """One optimisation step; returns the training loss. Updates the model in place."""
        cfg = self.config
        if cfg.algorithm == "classic":
            loss, gnorm = classic.train_sample(self.model.params, self.legacy_rng, cfg.lr, cfg.bits)
            n = 1
        else:
            if self.batches is not None:
                x, y = self.batches.next()  # (T, B, .)
            else:
                x, y = data.random_xy(self.rng, cfg.batch, cfg.bits, self.model.dtype)
            if self._fused is not None:
                f = self._fused
                loss, gnorm = f.step(x, y)
                if cfg.clip > 0 and gnorm > cfg.clip:  # as optim.clip_by_global_norm
                    f.flat_grads *= cfg.clip / (gnorm + 1e-12)
                if math.isfinite(loss) and math.isfinite(gnorm):
                    self.optimizer.step_flat(f.flat_params, f.flat_grads, f.grads)
                self._fused_norms = True
            else:  # the reference path: forward, loss, backward, optimizer
                trace = self.model.forward(x, rng=self.rng if cfg.keep_prob < 1 else None, time_major=True)
                loss, dz = self.loss_fn(trace.z, y, trace.p)
                grads, self._dh_norm = self.model.backward(trace, dz)
                gnorm = optim.clip_by_global_norm(grads, cfg.clip)
                if math.isfinite(loss) and math.isfinite(gnorm):
                    self.optimizer.step(self.model.params, grads)
            n = cfg.batch
        self.step += 1
        self.samples += n
        self.history.train.append(step=self.step, loss=loss, grad_norm=gnorm,
                                  samples=self.samples, lr=cfg.lr)
        if not (math.isfinite(loss) and math.isfinite(gnorm)):
            self._diverge(f"the loss became {loss} at step {self.step}")
        elif self.step >= cfg.steps:
            self._record_eval(full=True)
        elif self.step % cfg.eval_every == 0:
            self._record_eval(full=False)
        if self.status not in ENDED:
            self.status = FINISHED if self.step >= cfg.steps else TRAINING
        return loss

    def advance(self, n: int, stop_when_solved: bool = False) -> int:
        """Train up to ``n`` steps (fewer if the budget ends or the run diverges).

        With ``stop_when_solved``, also stop right after the step at which the
        run is first solved (an evaluation finds every sum right, so
        ``solved_at_step == step``); a run solved before the call trains on.
        Returns the number of steps taken. Never raises for numerical trouble.
        """
        taken = 0
        watch = stop_when_solved and self.solved_at_step is None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            while taken < n and not self.done:
                self.train_step()
                taken += 1
                if watch and self.solved_at_step is not None:
                    break
        return taken

    def advance_for(self, seconds: float, max_steps: int | None = None,
                    stop_when_solved: bool = False) -> int:
        """Train for about ``seconds`` of wall time; returns the steps taken.

        Takes at least one step unless the run is done (or ``max_steps`` is 0),
        never more than ``max_steps``. The time is spent in pieces sized from
        :attr:`step_seconds`, a running average of the measured time per step,
        so the time box holds on a busy machine too. ``stop_when_solved`` as in
        :meth:`advance`.
        """
        start = time.perf_counter()
        deadline = start + seconds
        watch = stop_when_solved and self.solved_at_step is None
        taken = 0
        while not self.done and (max_steps is None or taken < max_steps):
            now = time.perf_counter()
            want = max(1, min(256, int((deadline - now) / self.step_seconds))) if taken else 1
            if max_steps is not None:
                want = min(want, max_steps - taken)
            k = self.advance(want, stop_when_solved=watch)
            taken += k
            done_at = time.perf_counter()
            if k:
                self.step_seconds = 0.7 * self.step_seconds + 0.3 * (done_at - now) / k
            if done_at >= deadline or k == 0 or (watch and self.solved_at_step is not None):
                break
        return taken

    def run(self) -> None:
        """Train until the step budget is used or the run diverges."""
        self.advance(self.config.steps - self.step)

    # --- evaluation ---------------------------------------------------------

    def evaluate(self) -> dict[str, float]:
        """Metrics on the evaluation set for the current weights."""
        return evaluate(self.model, self.eval_batch, self.config.loss)

    def _record_eval(self, full: bool) -> None:
        largest = max(float(np.max(np.abs(p))) for p in self.model.params.values())
        if not math.isfinite(largest):
            self._diverge(f"the weights overflowed at step {self.step}")
            return
        sched, loss = self.eval_schedule, self.config.loss
        m, xent = sched.figures(self.model, loss, whole=full)
        solved = False
        if m["exact_acc"] == 1.0 and self.solved_at_step is None:
            confirmed = sched.confirm(self.model, loss)  # None unless every sum of the set is right
            if confirmed is not None:
                (m, xent), solved = confirmed, True
        self.history.evals.append(step=self.step, **m)
        self.eval_xent = xent
        if len(self.history.evals) == 1:
            self._start_xent = xent
        start = self._start_xent
        if not (math.isfinite(m["eval_loss"]) and math.isfinite(xent)) or xent > LOSS_BLOWUP * start:
            self._diverge(f"the evaluation cross-entropy grew from {start:.3g} to {xent:.3g} "
                          f"by step {self.step}")
        elif largest > MAX_WEIGHT:
            self._diverge(f"a weight grew to {largest:.3g} by step {self.step}")
        elif solved:
            self.solved_at_step = self.step
        elif self.solved_at_step is None:
            why = self.stall_watch.check(self.model, self.eval_batch.x, xent, self.step)
            if why:
                self.status = STALLED
                self.message = f"Training stalled: {why}. {suggestion(self.config)}"

    def _diverge(self, what: str) -> None:
        self.status = DIVERGED
        self.message = (f"Training diverged: {what}. Try a smaller learning rate "
                        f"(now {self.config.lr:g}) or turn on gradient clipping, then reset.")

    def metrics(self) -> dict:
        """The latest figures in one flat dict (JSON-friendly)."""
        ev, tr = self.history.evals, self.history.train
        return {
            "step": self.step,
            "samples": self.samples,
            "loss": tr.last("loss"),
            "grad_norm": tr.last("grad_norm"),
            "eval_loss": ev.last("eval_loss"),
            "exact_accuracy": ev.last("exact_acc"),
            "bit_accuracy": ev.last("bit_acc"),
            "solved_at_step": self.solved_at_step,
            "status": self.status,
            "diverged": self.status == DIVERGED,
            "stalled": self.status == STALLED,
        }
