"""The trainer: advances a model a number of steps and records what happened.

It is fully deterministic from ``config.seed`` (one ``np.random.Generator``
draws the weights, the data and the dropout masks), never raises on a
diverging run (it stops and reports ``status == "diverged"``), and can be
advanced in small time-boxed chunks so a UI stays responsive.
"""

from __future__ import annotations

import math
import time

import numpy as np

from engine import classic, data, losses, optim
from engine.config import Config
from engine.history import History
from engine.model import SequenceModel

READY, TRAINING, FINISHED, DIVERGED = "ready", "training", "finished", "diverged"

# A run has blown up (even before anything overflows) when, at an evaluation,
# the evaluation loss is this many times its value before training, or a weight
# is larger than MAX_WEIGHT. Healthy runs of every preset stay within 1.05x and
# |w| < 12; learning rates of 100 reach 30-400x and |w| of 400-4000.
LOSS_BLOWUP = 10.0
MAX_WEIGHT = 1e3


def evaluate(model: SequenceModel, batch: data.AdditionBatch, loss: str = "bce") -> dict[str, float]:
    """Loss, exact-sum accuracy and bit accuracy of ``model`` on ``batch`` (no dropout)."""
    with np.errstate(over="ignore", invalid="ignore"):
        tr = model.forward(batch.x)
        y = np.swapaxes(batch.y, 0, 1)
        value, _ = losses.get(loss)(tr.z, y)
    right = (tr.p >= 0.5) == (y >= 0.5)  # (T, B, 1)
    return {
        "eval_loss": value,
        "exact_acc": float(right.all(axis=(0, 2)).mean()),
        "bit_acc": float(right.mean()),
    }


class Trainer:
    """Trains a :class:`SequenceModel` on random sums as ``config`` says.

    Attributes
    ----------
    config : the configuration (``lr`` follows :meth:`set_lr`)
    model : the model being trained (its ``params`` change in place)
    history : :class:`History` of every step and evaluation
    step, samples : steps taken and sums seen so far
    status : "ready", "training", "finished" (budget used) or "diverged"
    message : why the run stopped, for a person to read
    solved_at_step : first evaluated step with every evaluation sum right, or None
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
        self.eval_batch = data.eval_set(config.bits)
        self.history = History()
        self.step = 0
        self.samples = 0
        self.status = READY
        self.message = ""
        self.solved_at_step: int | None = None
        self.last_dh_norm: np.ndarray | None = None  # (layers, T) from the latest step
        self._record_eval()

    # --- control ------------------------------------------------------------

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next step on; nothing else is reset."""
        self.config = self.config.replace(lr=lr)
        self.optimizer.lr = lr

    def set_steps(self, steps: int) -> None:
        """Change the step budget (a finished run can be extended)."""
        self.config = self.config.replace(steps=steps)
        if self.status == FINISHED and self.step < steps:
            self.status = TRAINING

    @property
    def done(self) -> bool:
        return self.status in (FINISHED, DIVERGED)

    # --- training -----------------------------------------------------------

    def train_step(self) -> float:
        """One optimisation step; returns the training loss. Updates the model in place."""
        cfg = self.config
        if cfg.algorithm == "classic":
            loss, gnorm = classic.train_sample(self.model.params, self.legacy_rng, cfg.lr, cfg.bits)
            n = 1
        else:
            batch = data.random_batch(self.rng, cfg.batch, cfg.bits)
            trace = self.model.forward(batch.x, rng=self.rng if cfg.keep_prob < 1 else None)
            loss, dz = self.loss_fn(trace.z, np.swapaxes(batch.y, 0, 1).astype(trace.z.dtype))
            grads, self.last_dh_norm = self.model.backward(trace, dz)
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
        elif self.step % cfg.eval_every == 0 or self.step >= cfg.steps:
            self._record_eval()
        if self.status != DIVERGED:
            self.status = FINISHED if self.step >= cfg.steps else TRAINING
        return loss

    def advance(self, n: int) -> int:
        """Train up to ``n`` steps (fewer if the budget ends or the run diverges).

        Returns the number of steps taken. Never raises for numerical trouble.
        """
        taken = 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            while taken < n and not self.done:
                self.train_step()
                taken += 1
        return taken

    def advance_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about ``seconds`` of wall time (at least one step unless done)."""
        deadline = time.perf_counter() + seconds
        taken = 0
        chunk = 1
        while not self.done and (max_steps is None or taken < max_steps):
            want = chunk if max_steps is None else min(chunk, max_steps - taken)
            taken += self.advance(want)
            if time.perf_counter() >= deadline:
                break
            chunk = min(chunk * 2, 64)
        return taken

    def run(self) -> None:
        """Train until the step budget is used or the run diverges."""
        self.advance(self.config.steps - self.step)

    # --- evaluation ---------------------------------------------------------

    def evaluate(self) -> dict[str, float]:
        """Metrics on the evaluation set for the current weights."""
        return evaluate(self.model, self.eval_batch, self.config.loss)

    def _record_eval(self) -> None:
        largest = max(float(np.max(np.abs(p))) for p in self.model.params.values())
        if not math.isfinite(largest):
            self._diverge(f"the weights overflowed at step {self.step}")
            return
        m = self.evaluate()
        self.history.evals.append(step=self.step, **m)
        start = self.history.evals["eval_loss"][0]
        if not math.isfinite(m["eval_loss"]) or m["eval_loss"] > LOSS_BLOWUP * start:
            self._diverge(f"the evaluation loss grew from {start:.3g} to {m['eval_loss']:.3g} "
                          f"by step {self.step}")
        elif largest > MAX_WEIGHT:
            self._diverge(f"a weight grew to {largest:.3g} by step {self.step}")
        elif self.solved_at_step is None and m["exact_acc"] == 1.0:
            self.solved_at_step = self.step

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
        }
