"""Backpropagation through time, step by step: the gradient reaching every hidden state.

:meth:`engine.model.SequenceModel.backward` returns the parameter gradients and
only the *norm* of the gradient reaching each step. To show a student BPTT at
work, :func:`sum_gradients` also returns the gradients themselves, per layer,
unit and step, for a vanilla RNN (the cell the tutorials derive by hand), as
:meth:`engine.cells.rnn.RNNCell.backward` computes them (``return_steps=True``):

- ``dh[t]`` = dLoss/dh_t, the error reaching state ``h_t``: its own step's
  error from above plus what flows back from step ``t + 1``;
- ``dpre[t]`` = dLoss/d(pre_t) = ``dh[t] * f'(pre_t)``, the "delta" of the
  tutorials, which is what the weight gradients are summed from;
- ``dh_next`` for step ``t - 1`` is ``dpre[t] @ Whh.T``.

Gated cells (LSTM, GRU) get the norms only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import losses
from engine.data import AdditionBatch
from engine.model import SequenceModel

SOURCES = ("all", "last")  # which outputs' errors are sent back: every bit's, or the last bit's only


@dataclass(frozen=True)
class SumGradients:
    """Where the error of a batch of sums goes, step by step (time-major).

    Attributes
    ----------
    loss : the batch's loss (every bit, whatever ``source`` is)
    source : "all" (every output bit's error) or "last" (the last bit's only)
    dz : (T, B, O) the gradient sent back from the read-out logits
    dh_norm : (layers, T) norm over batch and units of the gradient reaching each ``h_t``
    dh : per layer, bottom first, (T, B, H) gradient reaching each ``h_t``;
        empty for gated cells
    dpre : per layer, (T, B, H) gradient w.r.t. each pre-activation; empty for gated cells
    """

    loss: float
    source: str
    dz: np.ndarray
    dh_norm: np.ndarray
    dh: tuple[np.ndarray, ...]
    dpre: tuple[np.ndarray, ...]

    @property
    def has_deltas(self) -> bool:
        """Whether the per-unit arrays are available (vanilla RNN)."""
        return bool(self.dh)


def sum_gradients(model: SequenceModel, batch: AdditionBatch, loss: str = "bce",
                  source: str = "all") -> SumGradients:
    """Run ``batch`` through ``model`` (no dropout) and send its error back through time.

    Parameters
    ----------
    model : any :class:`SequenceModel`; the per-unit arrays need a vanilla RNN
    batch : the sums (e.g. ``data.make_batch([a], [b], bits)``)
    loss : "bce" | "mse"
    source : "all" sends back every output bit's error; "last" only the most
        significant bit's, which shows how far one error travels back in time
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)} (got {source!r})")
    loss_fn = losses.get(loss)
    trace = model.forward(batch.x)
    y = np.swapaxes(batch.y, 0, 1)  # (T, B, 1)
    value, dz = loss_fn(trace.z, y)
    if source == "last":
        dz = dz.copy()
        dz[:-1] = 0.0
    dhs, dpres = [], []
    if model.config.cell == "rnn":  # the cells' own backward, keeping its per-step arrays
        dh_norm = np.zeros((len(model.cells), trace.x.shape[0]))
        dh_out = dz @ model.params["Why"].T  # (T, B, H) into the top layer
        for l in range(len(model.cells) - 1, -1, -1):
            x_l = trace.x if l == 0 else trace.layers[l - 1].h  # no dropout in this forward pass
            dh_out, _, dh_norm[l], dh, dpre = model.cells[l].backward(
                model.layer_params(l), x_l, trace.layers[l], dh_out, need_dx=l > 0, return_steps=True)
            dhs.append(dh)
            dpres.append(dpre)
        dhs.reverse()
        dpres.reverse()
    else:
        _, dh_norm = model.backward(trace, dz)
    return SumGradients(float(value), source, dz, dh_norm, tuple(dhs), tuple(dpres))
