"""Live predictions on a few fixed sums, laid out as the tutorials print them.

:func:`example_sums` picks the sums (long carry chains first, then a few
random ones from the training range, the same every time for a width);
:func:`predict` asks the model (through the engine) and :func:`table_html`
draws them with every wrong bit highlighted.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from engine.analysis.explain import hard_cases, random_pair, unroll_sum
from engine.data import operand_limit
from engine.model import SequenceModel
from ui.sums import fmt_bits
from ui.theme import state_range

EXAMPLES_SEED = 2024
N_EXAMPLES = 6


def example_sums(bits: int, n: int = N_EXAMPLES) -> list[tuple[int, int]]:
    """``n`` fixed sums inside the training range (both operands below ``2**(bits-1)``)."""
    top = operand_limit(bits)
    pairs = [(c["a"], c["b"]) for c in hard_cases(bits) if c["a"] < top and c["b"] < top]
    pairs = [p for p in pairs if p != (0, 0)][: n // 2]
    rng = np.random.default_rng(EXAMPLES_SEED)
    for _ in range(50):
        if len(pairs) >= n:
            break
        p = random_pair(rng, bits)
        if p not in pairs:
            pairs.append(p)
    return pairs


@dataclass(frozen=True)
class Prediction:
    """One sum and the network's answer; bit strings are most significant bit first."""

    a: int
    b: int
    true_sum: int
    predicted: int
    a_bits: str
    b_bits: str
    true_bits: str
    pred_bits: str

    @property
    def correct(self) -> bool:
        return self.true_bits == self.pred_bits


def predict(model: SequenceModel, pairs: list[tuple[int, int]], bits: int) -> list[Prediction]:
    """The model's answer to each sum of ``pairs`` at width ``bits``."""
    out = []
    for a, b in pairs:
        u = unroll_sum(model, a, b, bits)
        out.append(Prediction(
            a=a, b=b, true_sum=u.true_sum, predicted=u.predicted, a_bits=fmt_bits(a, bits, group=None),
            b_bits=fmt_bits(b, bits, group=None), true_bits=fmt_bits(u.true_sum, bits, group=None),
            pred_bits=fmt_bits(u.predicted, bits, group=None),
        ))
    return out


TABLE_CSS = """
<style>
.sums-box {overflow-x: auto; max-width: 100%;}
.sums {border-collapse: collapse; width: 100%; font-size: 1rem;}
.sums caption {caption-side: top; text-align: left; color: #495057; font-size: 0.85rem; padding: 0 8px 2px;}
.sums th {text-align: right; font-weight: 600; padding: 4px 8px; border-bottom: 2px solid #8a94a3;}
.sums td {text-align: right; padding: 4px 8px; border-bottom: 1px solid #dee2e6; line-height: 1.25;}
.sums .bin {font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 1.05rem;
  white-space: nowrap;}
.sums .dec {color: #495057; font-size: 0.9rem;}
.sums .bad {color: #fff; background: #c92a2a; font-weight: 700; border-radius: 2px;}
.sums .ok {color: #2b8a3e; font-weight: 700;} .sums .no {color: #c92a2a; font-weight: 700;}
</style>
"""
MSB_NOTE = "Bits as numbers are written: most significant on the left, bit 0 on the right."
LSB_NOTE = "Bits in the network's order: bit 0 first (on the left), time →, as in the grids."


def _marked(pred: str, true: str) -> str:
    return "".join(f'<span class="bad">{p}</span>' if p != t else p for p, t in zip(pred, true, strict=True))


def _cell(bits: str, value: int) -> str:
    return f"<td><div class='bin'>{bits}</div><div class='dec'>{value}</div></td>"


def table_html(rows: list[Prediction], msb_first: bool = True) -> str:
    """An HTML table: a, b, the true sum and the network's sum, each in binary over decimal.

    Bits are written most significant first (as numbers are written), or with ``msb_first=False``
    bit 0 first, as the network reads them and the step-through grids draw them; a caption says which.
    The network's wrong bits are marked in red. A wide table scrolls sideways rather than spill over.
    """
    order = (lambda s: s) if msb_first else (lambda s: s[::-1])
    head = "<tr><th>a</th><th>b</th><th>a + b</th><th>network says</th><th></th></tr>"
    body = []
    for r in rows:
        mark = '<span class="ok">✔</span>' if r.correct else '<span class="no">✘</span>'
        body.append(
            f"<tr>{_cell(order(r.a_bits), r.a)}{_cell(order(r.b_bits), r.b)}"
            f"{_cell(order(r.true_bits), r.true_sum)}"
            f"<td><div class='bin'>{_marked(order(r.pred_bits), order(r.true_bits))}</div>"
            f"<div class='dec'>{r.predicted}</div></td><td>{mark}</td></tr>")
    note = MSB_NOTE if msb_first else LSB_NOTE
    return (TABLE_CSS + f'<div class="sums-box"><table class="sums"><caption>{note}</caption>{head}'
            f'{"".join(body)}</table></div>')


def summary(rows: list[Prediction]) -> str:
    """E.g. "4 of 6 right"."""
    return html.escape(f"{sum(r.correct for r in rows)} of {len(rows)} right")


@dataclass(frozen=True)
class Glance:
    """What the live heatmap shows for one sum: the top layer's states and the bits beneath."""

    h: np.ndarray  # (H, T) units x steps
    bit_rows: dict  # label -> (T,) bits, least significant first
    zrange: tuple[float, float] | None


def glance(model: SequenceModel, a: int, b: int, bits: int) -> Glance:
    """The hidden states of ``model`` on ``a + b`` with a, b, the carry going out and the sum beneath."""
    u = unroll_sum(model, a, b, bits)
    rows = {"a": u.a_bits, "b": u.b_bits, "carry out": u.carry_out, "sum": u.sum_bits, "network": u.pred}
    cfg = model.config
    return Glance(h=u.layers[-1].h, bit_rows=rows, zrange=state_range(cfg.activation, cfg.cell))
