"""Measuring a model on the evaluation set, and the trainer's cheaper evaluation schedule.

:func:`evaluate` runs the whole set. A :class:`Schedule` is what the trainer runs
every ``eval_every`` steps: the figures of a fixed sample of :data:`EVAL_SAMPLE`
sums (the charts' points), and the whole set only when it can matter: when every
sum of the sample is right, :meth:`Schedule.confirm` decides whether every sum of
the whole set is, stopping at the first wrong bit. A sum wrong in the sample is
wrong in the set, so "the first evaluated step at which every sum is right" is the
same as when every evaluation ran the whole set. For the default model family (one
sigmoid RNN layer) the schedule runs each distinct beginning of the sums once
(:mod:`engine.prefixes`), 2.5 times less work on the 8-bit set.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from engine import data
from engine.activations import sigmoid, softplus
from engine.analysis.states import chunk_size, forward_logits, subsample
from engine.fused import sigmoid_rnn_logits
from engine.model import SequenceModel
from engine.prefixes import PrefixTree, tree_figures

EVAL_CHUNK = 2048  # sums per forward pass while evaluating (a 16-unit RNN at 8 bits: ~3 MB of trace)
EVAL_SAMPLE = 512  # sums of the evaluation set a scheduled evaluation looks at (a fixed sample)


def _lean(model: SequenceModel) -> bool:
    """Whether evaluation can run ``model`` with :func:`engine.fused.sigmoid_rnn_logits`."""
    cfg = model.config
    return cfg.cell == "rnn" and cfg.layers == 1 and cfg.activation == "sigmoid"


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


TREE_BITS = 16  # wider sums share few beginnings past the first 7 bits: no tree, the plain pass


@functools.lru_cache(maxsize=4)
def _sets(bits: int, sample: int) -> tuple:
    """The evaluation set, its sample and their prefix trees (built once per process; read-only)."""
    full = data.eval_set(bits)
    for arr in vars(full).values():
        arr.flags.writeable = False
    part = subsample(full, sample)
    trees = (PrefixTree(full), PrefixTree(part)) if bits <= TREE_BITS else (None, None)
    return full, part, *trees


class Schedule:
    """The evaluation set ``full`` of a run and its fixed ``sample`` of at most :data:`EVAL_SAMPLE` sums."""

    def __init__(self, bits: int, sample: int = EVAL_SAMPLE):
        self.full, self.sample, self._full_tree, self._sample_tree = _sets(bits, sample)

    def figures(self, model: SequenceModel, loss: str, whole: bool = False) -> tuple[dict[str, float], float]:
        """The sample's (or the ``whole`` set's) figures (as :func:`measure` gives them) and cross-entropy."""
        tree = self._full_tree if whole else self._sample_tree
        if tree is not None and _lean(model):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                return tree_figures(model.params, tree, loss)
        return measure(model, self.full if whole else self.sample, loss)

    def confirm(self, model: SequenceModel, loss: str) -> tuple[dict[str, float], float] | None:
        """The whole set's figures if ``model`` gets every one of its sums right, else None."""
        if self._full_tree is not None and _lean(model):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                return tree_figures(model.params, self._full_tree, loss, stop_if_wrong=True)
        m, xent = measure(model, self.full, loss)
        return (m, xent) if m["exact_acc"] == 1.0 else None
