"""One sum, one time step: the network's arithmetic with the actual numbers.

:func:`unroll_sum` runs the network on a single sum and lines up, one column
per time step, what the stepper page shows (operand bits, true carries,
hidden states, output probabilities, predicted and true sum bits).
:func:`explain_step` spells out one step: the input vector, each layer's
trace at that step (for a vanilla RNN the input contribution
``x_t Wxh + bh``, the recurrent contribution ``h_{t-1} Whh``, the
pre-activation and the activation; for an LSTM or GRU its gates and cell
state) and the read-out ``h_t . Why + by -> logit -> probability -> bit``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from engine.analysis.budget import sums_within
from engine.analysis.states import forward_probs, head, subsample
from engine.cells.trace import LayerTrace
from engine.data import AdditionBatch, bits_to_int, check_bits, make_batch, random_batch
from engine.model import SequenceModel, Trace

# --- choosing a sum -----------------------------------------------------------


def parse_operand(text: str, bits: int, name: str = "a") -> int:
    """Read a typed operand: decimal, or binary after ``0b``; spaces and ``_`` are ignored.

    Raises ValueError with a message saying what is allowed.
    """
    bits = check_bits(bits)
    top = 2**bits - 1
    allowed = f"type a whole number from 0 to {top} (decimal, or binary starting with 0b)"
    s = str(text).strip().replace(" ", "").replace("_", "").lower()
    if not s:
        raise ValueError(f"{name} is empty: {allowed}")
    if len(s) > 80:
        raise ValueError(f"{name} is too long: {allowed}")
    try:
        n = int(s[2:], 2) if s.startswith("0b") else int(s, 10)
    except ValueError:
        raise ValueError(f"{name} = {str(text).strip()!r} is not a whole number: {allowed}") from None
    if n < 0:
        raise ValueError(f"{name} must not be negative: {allowed}")
    if n > top:
        raise ValueError(f"{name} = {n} does not fit in {bits} bits (at most {top})")
    return n


def hard_cases(bits: int) -> list[dict]:
    """Sums with long or unusual carry chains at width ``bits``: dicts ``label``, ``a``, ``b``.

    Only sums that fit the width are listed, without repeats.
    """
    n = check_bits(bits)
    low = 2 ** (n - 1) - 1  # 0111...1: every bit below the top
    alt = sum(1 << i for i in range(0, n - 1, 2))  # 0...0101
    cases = [
        ("carry ripples through every bit", low, 1),
        ("every column carries", low, low),
        ("carries every other column", alt, alt),
        ("carry ripples half way", 2 ** (n // 2) - 1, 1),
        ("no carry anywhere", alt, low ^ alt),
        ("top bit set (never seen in training)", 2 ** (n - 1), low),
        ("nothing plus nothing", 0, 0),
    ]
    out, seen = [], set()
    for label, a, b in cases:
        if (a, b) in seen or a + b > 2**n - 1 or (a == 0 and b == 0 and label != "nothing plus nothing"):
            continue
        seen.add((a, b))
        out.append({"label": label, "a": int(a), "b": int(b)})
    return out


def random_pair(rng: np.random.Generator, bits: int) -> tuple[int, int]:
    """A random sum from the training distribution (both operands below ``2**(bits-1)``)."""
    batch = random_batch(rng, 1, bits)
    return int(batch.a[0]), int(batch.b[0])


def wrong_sums(model: SequenceModel, batch: AdditionBatch, limit: int = 20,
               max_pairs: int | None = None, seconds: float | None = None) -> list[tuple[int, int]]:
    """Up to ``limit`` sums of ``batch`` that the network gets wrong, in batch order.

    With ``max_pairs``, only a fixed random sample of that many sums is tried;
    with ``seconds``, as many as the cost estimate says fit in that time.
    """
    deadline = None
    if seconds is not None:
        deadline = time.perf_counter() + seconds  # also holds on a machine slower than estimated
        fit = sums_within(model.config, len(batch), seconds, batch.bits).sums
        max_pairs = fit if max_pairs is None else min(max_pairs, fit)
    batch = subsample(batch, max_pairs)
    prob = forward_probs(model, batch.x, deadline=deadline)  # (T, B'), B' <= B when cut short
    batch = head(batch, prob.shape[1])
    wrong = ((prob >= 0.5) != (batch.y[..., 0].T >= 0.5)).any(axis=0)
    idx = np.flatnonzero(wrong)[:limit]
    return [(int(batch.a[i]), int(batch.b[i])) for i in idx]


# --- the unrolled sum ---------------------------------------------------------


@dataclass(frozen=True)
class Unrolled:
    """One sum through the network, one column per time step (LSB first).

    Attributes
    ----------
    a, b, bits : the sum and its width
    a_bits, b_bits, carry_in, carry_out, sum_bits : (T,) uint8 truth
    prob : (T,) probability of a 1 at each output bit; pred : (T,) uint8 predicted bits
    wrong : (T,) bool where ``pred`` differs from ``sum_bits``
    layers : per layer, its trace for this one sum (the cell's trace type,
        e.g. ``engine.cells.rnn.RNNTrace``) with every array (H, T): units x steps
    predicted, true_sum : the predicted and true sums as ints; correct : all bits right
    batch, trace : the one-sum batch and its forward trace (for :func:`explain_step`)
    """

    a: int
    b: int
    bits: int
    a_bits: np.ndarray
    b_bits: np.ndarray
    carry_in: np.ndarray
    carry_out: np.ndarray
    sum_bits: np.ndarray
    prob: np.ndarray
    pred: np.ndarray
    wrong: np.ndarray
    layers: tuple
    predicted: int
    true_sum: int
    correct: bool
    batch: AdditionBatch
    trace: Trace


def unroll_sum(model: SequenceModel, a: int, b: int, bits: int) -> Unrolled:
    """Run ``model`` on ``a + b`` written in ``bits`` bits (any width: the weights do not depend on it).

    Raises ValueError (with a message) when an operand or the sum does not fit.
    """
    batch = make_batch([a], [b], bits)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        trace = model.forward(batch.x)
    prob = trace.p[:, 0, 0]
    pred = (prob >= 0.5).astype(np.uint8)
    sum_bits = batch.y[0, :, 0].astype(np.uint8)
    wrong = pred != sum_bits
    layers = tuple(entry.map(lambda v: np.ascontiguousarray(v[:, 0, :].T)) for entry in trace.layers)
    return Unrolled(
        a=int(a), b=int(b), bits=batch.bits,
        a_bits=batch.x[0, :, 0].astype(np.uint8), b_bits=batch.x[0, :, 1].astype(np.uint8),
        carry_in=batch.carry_in[0].copy(), carry_out=batch.carry_out[0].copy(), sum_bits=sum_bits,
        prob=prob.copy(), pred=pred, wrong=wrong, layers=layers,
        predicted=int(bits_to_int(pred)), true_sum=int(batch.sum[0]), correct=not wrong.any(),
        batch=batch, trace=trace,
    )


# --- one step spelled out -----------------------------------------------------


@dataclass(frozen=True)
class LayerStep:
    """One layer at one step of one sum.

    Attributes
    ----------
    input : (I,) what the layer reads at the step: ``x`` or the layer below's ``h``
    h_prev : (H,) the layer's state before the step (zero at t = 0)
    c_prev : (H,) an LSTM's cell state before the step; None for other cells
    now : the layer's trace at the step (the cell's trace type, every array (H,);
        a vanilla RNN: ``xin`` = x_t Wxh + bh, ``rec`` = h_{t-1} Whh,
        ``pre`` = xin + rec, ``h`` = f(pre))
    """

    input: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray | None
    now: LayerTrace


@dataclass(frozen=True)
class StepExplanation:
    """The arithmetic of one time step of one sum.

    Attributes
    ----------
    t, index : the step (0 = least significant bit) and the sum's index in the batch
    cell : the model's cell kind ("rnn", "lstm", "gru")
    x : (I,) the input vector (a's bit, b's bit)
    layers : per layer (bottom first) a :class:`LayerStep`
    readout : ``h`` (H,) top state, ``Why`` (H,), ``contrib`` (H,) = h * Why,
        ``by``, ``z`` (logit = sum(contrib) + by), ``p`` = sigmoid(z), ``bit`` = p >= 0.5
    truth : ``a_bit``, ``b_bit``, ``carry_in``, ``carry_out``, ``sum_bit`` when a batch was given, else None
    """

    t: int
    index: int
    cell: str
    x: np.ndarray
    layers: tuple
    readout: dict
    truth: dict | None


def explain_step(model: SequenceModel, batch_or_x, t: int, index: int = 0,
                 trace: Trace | None = None) -> StepExplanation:
    """Spell out step ``t`` of sum ``index``.

    Parameters
    ----------
    model : the network (not changed)
    batch_or_x : an :class:`AdditionBatch`, or inputs (B, T, I)
    t : time step, 0 (least significant bit) to T-1
    index : which sum of the batch
    trace : the forward trace of ``batch_or_x`` if already computed (else only
        sum ``index`` is run)
    """
    batch = batch_or_x if isinstance(batch_or_x, AdditionBatch) else None
    x = np.asarray(batch.x if batch is not None else batch_or_x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"inputs must be shaped (sums, steps, bits in), got {x.shape}")
    B, T, _ = x.shape
    if not 0 <= index < B:
        raise ValueError(f"sum index must be from 0 to {B - 1}, got {index}")
    if not 0 <= t < T:
        raise ValueError(f"time step must be from 0 to {T - 1}, got {t}")
    col = index
    if trace is None:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            trace = model.forward(x[index:index + 1])
        col = 0
    def before(a):  # (T, B, H) -> (H,) at step t - 1, zero before the first step
        return a[t - 1, col].copy() if t > 0 else np.zeros_like(a[t, col])

    layers = []
    below = trace.x[t, col]
    for entry in trace.layers:
        c_prev = before(entry.c) if "c" in entry.names() else None
        layers.append(LayerStep(input=below.copy(), h_prev=before(entry.h), c_prev=c_prev,
                                now=entry.map(lambda v: v[t, col].copy())))
        below = entry.h[t, col]
    h = trace.h[t, col].copy()
    Why = model.params["Why"][:, 0].copy()
    by = float(model.params["by"][0]) if "by" in model.params else 0.0
    contrib = h * Why
    z = float(trace.z[t, col, 0])
    p = float(trace.p[t, col, 0])
    readout = {"h": h, "Why": Why, "contrib": contrib, "by": by, "z": z, "p": p, "bit": int(p >= 0.5)}
    truth = None
    if batch is not None:
        truth = {"a_bit": int(batch.x[index, t, 0]), "b_bit": int(batch.x[index, t, 1]),
                 "carry_in": int(batch.carry_in[index, t]), "carry_out": int(batch.carry_out[index, t]),
                 "sum_bit": int(batch.y[index, t, 0])}
    return StepExplanation(t=int(t), index=int(index), cell=model.config.cell, x=x[index, t].copy(),
                           layers=tuple(layers), readout=readout, truth=truth)
