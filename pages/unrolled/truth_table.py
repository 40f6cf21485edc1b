"""The full adder's truth table beside what the network does in each row (a DataFrame, styled)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd


def truth_frame(rows: Sequence[Mapping]) -> pd.DataFrame:
    """The full adder's 8 rows with the network's and the probe's answers."""

    def maybe(v, f):
        return "–" if v is None else f(v)

    return pd.DataFrame({
        "a": [r["a"] for r in rows], "b": [r["b"] for r in rows], "c in": [r["carry_in"] for r in rows],
        "sum": [r["sum_bit"] for r in rows], "c out": [r["carry_out"] for r in rows],
        "net's bit": [maybe(r["pred_bit"], str) for r in rows],
        "P(1)": [maybe(r["mean_prob"], lambda v: f"{v:.2f}") for r in rows],
        "right": [maybe(r["bit_acc"], lambda v: f"{100 * v:.0f}%") for r in rows],
        "probe's c": [maybe(r.get("probe_carry"), str) for r in rows],
        "seen": [r["count"] for r in rows],
    })


def highlight_row(frame: pd.DataFrame, row: int | None):
    """A Styler that shades row ``row`` (the current step's combination)."""
    def shade(s):
        on = row is not None and s.name == row
        return ["background-color: #ffe3e3; font-weight: bold" if on else "" for _ in s]

    return frame.style.apply(shade, axis=1).hide(axis="index")
