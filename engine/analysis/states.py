"""Hidden states of a model over a set of sums, flattened for analysis.

Every analysis of "where the carry lives" looks at the same thing: one
hidden-state vector per (sum, time step) position, next to what was true at
that position (the operand bits, the carries, the sum bit) and what the
network answered. :func:`collect_states` runs the model once, in chunks so
that wide models on long sums stay within a fixed memory budget, and returns
those rows as plain arrays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from engine.data import AdditionBatch
from engine.model import SequenceModel

# At most this many floats per trace array in one forward pass (32 MB of float64).
FLOAT_BUDGET = 1 << 22


@dataclass(frozen=True)
class States:
    """One row per (sum, time step) position, ``N = pairs * T`` rows, time-major.

    Attributes
    ----------
    h : (N, H) the chosen state (``key``) of the chosen layer
    a_bit, b_bit, carry_in, carry_out, sum_bit : (N,) uint8 truth at each position
    prob : (N,) the network's probability of a 1 at that output bit
    step : (N,) time step ``t`` (0 = least significant bit)
    pair : (N,) index of the sum in the (sub-sampled) batch
    layer : which layer (0-based) ``h`` comes from
    key : which entry of the layer's trace (``"h"``, or e.g. ``"c"`` for an LSTM's cell state)
    """

    h: np.ndarray
    a_bit: np.ndarray
    b_bit: np.ndarray
    carry_in: np.ndarray
    carry_out: np.ndarray
    sum_bit: np.ndarray
    prob: np.ndarray
    step: np.ndarray
    pair: np.ndarray
    layer: int
    key: str

    def __len__(self) -> int:
        return self.h.shape[0]

    @property
    def pred_bit(self) -> np.ndarray:
        """(N,) the network's predicted bit (probability at least one half)."""
        return (self.prob >= 0.5).astype(np.uint8)

    def target(self, name: str) -> np.ndarray:
        """The (N,) truth array called ``name`` ("carry_out", "carry_in", "sum_bit", ...)."""
        if name not in ("a_bit", "b_bit", "carry_in", "carry_out", "sum_bit"):
            raise ValueError(f"unknown target {name!r}; choose carry_out, carry_in, sum_bit, a_bit or b_bit")
        return getattr(self, name)


def finite(x: np.ndarray) -> np.ndarray:
    """``x`` with NaN and infinities counted as 0 (a diverged model's states): ``x`` itself when every
    value is finite, the usual case, which is several times cheaper than ``np.nan_to_num``'s copy and
    masks; callers must not write to it."""
    x = np.asarray(x)
    return x if np.isfinite(x).all() else np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)


def resolve_layer(model: SequenceModel, layer: int) -> int:
    """A 0-based layer index from ``layer`` (negative counts from the top), checked."""
    n = model.config.layers
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -n <= layer < n:
        raise ValueError(f"layer must be from 0 to {n - 1} (or -1 for the top layer), got {layer!r}")
    return int(layer) % n


def chunk_size(model: SequenceModel, T: int) -> int:
    """How many sums to run through ``model`` at once to stay within :data:`FLOAT_BUDGET`."""
    width = max(model.config.hidden, 1) * 4  # a cell keeps up to ~4 arrays of (T, B, H) per layer
    return max(1, FLOAT_BUDGET // (max(T, 1) * width * model.config.layers))


def forward_chunks(model: SequenceModel, x: np.ndarray, pick, chunk: int | None = None,
                   deadline: float | None = None) -> tuple:
    """Run ``model`` on ``x`` (B, T, I) a chunk of sums at a time, keeping only what ``pick`` takes.

    ``pick(trace)`` returns a tuple of time-major arrays (T, b, ...) from each
    chunk's trace; the pieces are joined along the batch axis, so the rest of
    each trace is freed as soon as its chunk is done. ``chunk`` sums per pass
    (default: :func:`chunk_size`). Overflow in a diverged model gives NaN
    values, never an exception. With a ``deadline`` (a ``time.perf_counter()``
    value) the work goes in up to 16 chunks and stops after the chunk that
    ends past it, so the arrays may cover only the first sums of ``x``.
    """
    B, T, _ = x.shape
    step = max(1, int(chunk)) if chunk is not None else chunk_size(model, T)
    if deadline is not None:
        step = min(step, max(1, -(-B // 16)))
    parts = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for s in range(0, max(B, 1), step):
            parts.append(pick(model.forward(x[s:s + step])))
            if deadline is not None and time.perf_counter() >= deadline:
                break
    if len(parts) == 1:
        return tuple(parts[0])
    return tuple(np.concatenate(p, axis=1) for p in zip(*parts, strict=True))


def forward_logits(model: SequenceModel, x: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """(T, B, O) read-out logits of ``model`` on ``x`` (B, T, I), computed in chunks."""
    return forward_chunks(model, x, lambda tr: (tr.z,), chunk)[0]


def forward_probs(model: SequenceModel, x: np.ndarray, chunk: int | None = None,
                  deadline: float | None = None) -> np.ndarray:
    """(T, B) probability of a 1 at every output bit of ``model`` on ``x`` (B, T, I), in chunks.

    With a ``deadline`` only the first sums may be done (see :func:`forward_chunks`).
    """
    return forward_chunks(model, x, lambda tr: (tr.p[..., 0],), chunk, deadline)[0]


def forward_key(model: SequenceModel, x: np.ndarray, layer: int = -1, key: str = "h",
                deadline: float | None = None):
    """Run ``model`` on ``x`` (B, T, I) in chunks; return ``(state (T, B, H), prob (T, B))``.

    ``state`` is field ``key`` of layer ``layer``'s trace. Overflow in a
    diverged model gives NaN values, never an exception.
    """
    layer = resolve_layer(model, layer)

    def pick(tr):
        entry = tr.layers[layer]
        if key not in entry.names():
            raise ValueError(f"layer {layer} of this {model.config.cell} model has no {key!r}; "
                             f"it has {', '.join(sorted(entry.names()))}")
        return getattr(entry, key), tr.p[..., 0]

    return forward_chunks(model, x, pick, deadline=deadline)


def head(batch: AdditionBatch, n: int) -> AdditionBatch:
    """The first ``n`` sums of ``batch``."""
    if n >= len(batch):
        return batch
    return AdditionBatch(batch.a[:n], batch.b[:n], batch.x[:n], batch.y[:n], batch.carry_in[:n],
                         batch.carry_out[:n])


def subsample(batch: AdditionBatch, max_pairs: int | None, seed: int = 0) -> AdditionBatch:
    """At most ``max_pairs`` sums of ``batch`` (a fixed random choice, kept in order)."""
    n = len(batch)
    if max_pairs is None or n <= max_pairs:
        return batch
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be at least 1, got {max_pairs}")
    keep = np.sort(np.random.default_rng(seed).choice(n, size=max_pairs, replace=False))
    return AdditionBatch(batch.a[keep], batch.b[keep], batch.x[keep], batch.y[keep],
                         batch.carry_in[keep], batch.carry_out[keep])


def default_pairs(model: SequenceModel, T: int) -> int:
    """How many sums an analysis keeps so its (N, H) state matrix stays near 32 MB."""
    return max(64, FLOAT_BUDGET // (max(T, 1) * max(model.config.hidden, 1)))


def collect_states(model: SequenceModel, batch: AdditionBatch, layer: int = -1, key: str = "h",
                   max_pairs: int | None = None, seed: int = 0, deadline: float | None = None) -> States:
    """Hidden states of every position of (up to ``max_pairs`` sums of) ``batch``.

    Parameters
    ----------
    model : the network to look into (not changed)
    batch : the sums, e.g. ``engine.data.eval_set(bits)``
    layer : 0-based layer, negative from the top (default: the top layer)
    key : field of the layer's trace to collect (``"h"``; ``"c"`` for an LSTM's cell state)
    max_pairs : keep at most this many sums (default: enough for a ~32 MB state matrix)
    seed : picks the sub-sample
    deadline : a ``time.perf_counter()`` value; past it the pass stops early and the
        states cover only the sums done (see :func:`forward_chunks`)

    Returns
    -------
    States with N = pairs * T rows
    """
    layer = resolve_layer(model, layer)
    T = batch.bits
    if max_pairs is None:
        max_pairs = default_pairs(model, T)
    batch = subsample(batch, max_pairs, seed)
    state, prob = forward_key(model, batch.x, layer, key, deadline)  # (T, B, H), (T, B)
    batch = head(batch, state.shape[1])  # all of it, unless the deadline cut the pass short
    B = len(batch)
    H = state.shape[-1]

    def flat(a):  # (B, T) -> (N,) time-major
        return np.ascontiguousarray(np.asarray(a).T).reshape(-1)

    a_bit = batch.x[..., 0].astype(np.uint8)
    b_bit = batch.x[..., 1].astype(np.uint8)
    return States(
        h=state.reshape(T * B, H),
        a_bit=flat(a_bit), b_bit=flat(b_bit),
        carry_in=flat(batch.carry_in), carry_out=flat(batch.carry_out),
        sum_bit=flat(batch.y[..., 0].astype(np.uint8)),
        prob=prob.reshape(-1),
        step=np.repeat(np.arange(T), B),
        pair=np.tile(np.arange(B), T),
        layer=layer, key=key,
    )
