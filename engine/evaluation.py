"""Measuring a model on the evaluation set, and the trainer's cheaper evaluation schedule.

:func:`evaluate` runs the whole set in the model's precision. A :class:`Schedule`
is what the trainer runs every ``eval_every`` steps: the figures of a fixed sample
of :data:`EVAL_SAMPLE` sums (the charts' points), and the whole set only when it
can matter: when every sum of the sample may be right, :meth:`Schedule.confirm`
decides whether every sum of the whole set is. A sum wrong in the sample is wrong
in the set, so "the first evaluated step at which every sum is right" is the same
as when every evaluation ran the whole set.

For the default model family (one sigmoid RNN layer, weights below
:data:`LEAN32_MAX_WEIGHT`) the schedule computes in float32, about four times
faster: the figures are good to ~1e-6, and decisions stay exact because a float32
logit is within :data:`MARGIN` of the float64 one: a bit whose float32 logit is on
the wrong side by more than that is wrong, one on the right side by more than that
is right, and the few in between are computed again in float64. Each evaluation
checks that closeness on :data:`PROBE` sums run both ways (a trained model's
logits differ by ~5e-6; the weights of a chaotic untrained one can amplify
float32's rounding far more) and falls back to float64 when it does not hold.
"""

from __future__ import annotations

import math

import numpy as np

from engine import data
from engine.activations import sigmoid, softplus
from engine.analysis.states import chunk_size, forward_logits, subsample
from engine.fused import sigmoid_rnn_logits
from engine.model import SequenceModel

EVAL_CHUNK = 2048  # sums per forward pass while evaluating (a 16-unit RNN at 8 bits: ~3 MB of trace)
EVAL_SAMPLE = 512  # sums of the evaluation set a scheduled evaluation looks at (a fixed sample)
MARGIN = 1e-3  # float32 logits are trusted to be this close to float64's (trained models: ~5e-6)
PROBE = 64  # sums of each set also run in float64 to check that float32 is close enough here


LEAN32_MAX_WEIGHT = 50.0  # float32 only for weights below this (healthy runs stay below 12)


def _lean(model: SequenceModel) -> bool:
    """Whether evaluation can run ``model`` with :func:`engine.fused.sigmoid_rnn_logits`."""
    cfg = model.config
    return cfg.cell == "rnn" and cfg.layers == 1 and cfg.activation == "sigmoid"


def _lean32(model: SequenceModel) -> bool:
    """Whether the schedule may run ``model`` in float32 (see the module notes)."""
    return _lean(model) and max(float(np.max(np.abs(p))) for p in model.params.values()) < LEAN32_MAX_WEIGHT


def _targets(batch: data.AdditionBatch) -> np.ndarray:
    """(T, B) targets, contiguous (element-wise work on them runs at full speed)."""
    return np.ascontiguousarray(batch.y[..., 0].T)


def logits(model: SequenceModel, batch: data.AdditionBatch, chunk: int | None = None) -> np.ndarray:
    """(T, B, 1) read-out logits of ``model`` on ``batch``, ``chunk`` sums at a time.

    A one-layer sigmoid RNN runs :func:`engine.fused.sigmoid_rnn_logits` (no trace
    is built); other models :func:`engine.analysis.states.forward_logits`.
    """
    if chunk is None:
        chunk = min(EVAL_CHUNK, chunk_size(model, batch.bits))
    if not _lean(model):
        return forward_logits(model, batch.x, chunk)
    xf = batch.x.transpose(1, 2, 0)  # (T, 2, B)
    parts = [sigmoid_rnn_logits(model.params, xf[..., s:s + chunk]) for s in range(0, len(batch), chunk)]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def metrics_of(z: np.ndarray, y: np.ndarray, loss: str, xent: bool = True) -> tuple[dict[str, float], float]:
    """Evaluation figures of logits ``z`` (T, B, 1) for targets ``y`` (T, B), and the cross-entropy
    (NaN when ``xent`` is false and the loss is not cross-entropy)."""
    z = z[..., 0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        p = sigmoid(z)
        # the values of engine.losses (bce: softplus(z) - y z; mse: (p - y)^2), without their gradients
        bce = float(np.mean(softplus(z) - y * z)) if loss == "bce" or xent else math.nan
        value = bce if loss == "bce" else float(np.mean(np.square(p - y)))
    right = (p >= 0.5) == (y >= 0.5)  # (T, B)
    return {"eval_loss": value, "exact_acc": float(right.all(axis=0).mean()),
            "bit_acc": float(right.mean())}, bce


def measure(model: SequenceModel, batch: data.AdditionBatch, loss: str, chunk: int | None = None,
            xent: bool = True) -> tuple[dict[str, float], float]:
    """The metrics of :func:`evaluate` and (if ``xent``) the batch's cross-entropy, from one chunked pass."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return metrics_of(logits(model, batch, chunk), _targets(batch), loss, xent)


def evaluate(model: SequenceModel, batch: data.AdditionBatch, loss: str = "bce",
             chunk: int | None = None) -> dict[str, float]:
    """Loss, exact-sum accuracy and bit accuracy of ``model`` on ``batch`` (no dropout).

    The batch is run ``chunk`` sums at a time (default: up to :data:`EVAL_CHUNK`,
    fewer for wide or deep models so a pass stays within a fixed memory budget)
    and only the logits are kept; the figures do not depend on the chunk size.
    """
    return measure(model, batch, loss, chunk, xent=False)[0]


class _Set:
    """One batch of the schedule with what evaluating it needs, computed once."""

    def __init__(self, batch: data.AdditionBatch):
        self.batch, self.y = batch, _targets(batch)  # (T, B)
        self.x32 = np.ascontiguousarray(batch.x.transpose(1, 2, 0), dtype=np.float32)  # (T, 2, B)
        self.probe = _rows(batch, np.arange(min(PROBE, len(batch))))


class Schedule:
    """The evaluation set ``full`` of a run and its fixed ``sample`` of at most :data:`EVAL_SAMPLE` sums."""

    def __init__(self, bits: int, sample: int = EVAL_SAMPLE):
        self.full = data.eval_set(bits)
        self.sample = subsample(self.full, sample)
        self._sets = {"full": _Set(self.full), "sample": _Set(self.sample)}

    def figures(self, model: SequenceModel, loss: str, whole: bool = False
                ) -> tuple[dict[str, float], float, bool]:
        """The figures of the sample (or the ``whole`` set) as :func:`measure` gives them, their
        cross-entropy, and whether every sum of the whole set may be right."""
        s = self._sets["full" if whole else "sample"]
        z = self._logits32(model, s)
        if z is None:
            m, xent = metrics_of(logits(model, s.batch), s.y, loss)
            return m, xent, m["exact_acc"] == 1.0
        m, xent = metrics_of(z, s.y, loss)
        return m, xent, not self._surely_wrong(z, s).any()

    def confirm(self, model: SequenceModel, loss: str) -> tuple[dict[str, float], float] | None:
        """The whole set's figures if ``model`` gets every one of its sums right, else None."""
        s = self._sets["full"]
        z = self._logits32(model, s)
        if z is None:
            m, xent = metrics_of(logits(model, s.batch), s.y, loss)
            return (m, xent) if m["exact_acc"] == 1.0 else None
        if self._surely_wrong(z, s).any():
            return None
        unsure = np.flatnonzero((np.abs(z[..., 0]) <= MARGIN).any(axis=0))  # sums to decide in float64
        if len(unsure):
            z64 = logits(model, _rows(s.batch, unsure))
            if not ((sigmoid(z64[..., 0]) >= 0.5) == (s.y[:, unsure] >= 0.5)).all():
                return None
            z[:, unsure] = z64
        return metrics_of(z, s.y, loss)

    @staticmethod
    def _logits32(model: SequenceModel, s: _Set) -> np.ndarray | None:
        """(T, B, 1) float64 array of the float32 logits of ``model`` on ``s``, or None when
        float32 may not be used for this model (see the module notes)."""
        if not _lean32(model):
            return None
        p32 = {k: v.astype(np.float32) for k, v in model.params.items()}
        chunk = 4 * EVAL_CHUNK
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            parts = [sigmoid_rnn_logits(p32, s.x32[..., i:i + chunk]) for i in range(0, len(s.batch), chunk)]
            z = np.concatenate(parts, axis=1).astype(np.float64)
            probe = logits(model, s.probe)
            close = np.max(np.abs(z[:, :len(s.probe)] - probe)) < MARGIN / 50  # False for NaN
        return z if close else None

    @staticmethod
    def _surely_wrong(z: np.ndarray, s: _Set) -> np.ndarray:
        """(T, B) bits whose logit is on the wrong side by more than :data:`MARGIN`."""
        z = z[..., 0]
        return ((z >= 0) != (s.y >= 0.5)) & (np.abs(z) > MARGIN)


def _rows(batch: data.AdditionBatch, index: np.ndarray) -> data.AdditionBatch:
    """The sums ``index`` of ``batch``."""
    fields = ("a", "b", "x", "y", "carry_in", "carry_out")
    return data.AdditionBatch(*(getattr(batch, f)[index] for f in fields))
