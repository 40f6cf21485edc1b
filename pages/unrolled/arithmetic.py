"""The step's arithmetic as a table (one row per hidden unit) and the read-out in one line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from engine.analysis.explain import LayerStep
from pages.unrolled.figures import unit_label

# What each trace field is, per cell kind, in reading order (fields not listed are shown after).
ENTRY_LABELS = {
    "rnn": [("h_prev", "h(t−1)"), ("xin", "x·Wxh + bh"), ("rec", "h(t−1)·Whh"), ("pre", "pre = sum"),
            ("h", "h(t) = f(pre)")],
    "lstm": [("h_prev", "h(t−1)"), ("c_prev", "c(t−1)"), ("i", "input gate i"), ("f", "forget gate f"),
             ("g", "candidate g"), ("o", "output gate o"), ("c", "c = f·c(t−1) + i·g"),
             ("h", "h = o·tanh(c)")],
    "gru": [("h_prev", "h(t−1)"), ("z", "update gate z"), ("r", "reset gate r"), ("n", "candidate n"),
            ("h", "h = (1−z)·n + z·h(t−1)")],
}
SKIP_ENTRIES = {"gates", "tanh_c", "hn"}  # internal or repeated trace fields left out of the table


def arithmetic_frame(layer: LayerStep, cell: str, unit_order: Sequence[int],
                     marked: Sequence[int] = (), Why: np.ndarray | None = None,
                     contrib: np.ndarray | None = None, r: np.ndarray | None = None) -> pd.DataFrame:
    """One row per hidden unit: the layer's numbers at this step, in reading order.

    ``layer`` is one entry of ``engine.analysis.explain.StepExplanation.layers``. For the
    top layer pass the read-out weights ``Why`` and the contributions ``h·Why``.
    """
    values = {"h_prev": layer.h_prev, "c_prev": layer.c_prev}
    values.update({k: getattr(layer.now, k) for k in layer.now.names()})
    known = ENTRY_LABELS.get(cell, [])
    cols = [(k, lbl) for k, lbl in known if values.get(k) is not None]
    seen = {k for k, _ in cols} | SKIP_ENTRIES
    cols += [(k, k) for k in layer.now.names() if k not in seen]  # a field without a label yet
    order = [int(u) for u in unit_order]
    data = {"unit": [unit_label(u, marked) for u in order]}
    if r is not None:
        data["carry r"] = np.asarray(r)[order]
    for k, lbl in cols:
        data[lbl] = np.asarray(values[k])[order]
    if Why is not None:
        data["Why"] = np.asarray(Why)[order]
    if contrib is not None:
        data["h·Why"] = np.asarray(contrib)[order]
    return pd.DataFrame(data)


def readout_text(readout: Mapping, truth: Mapping | None) -> str:
    """The read-out in one line: ``logit = Σ h·Why + by → probability → bit``."""
    s = (f"logit = Σ h·Why + by = {float(np.sum(readout['contrib'])):+.3f} {readout['by']:+.3f} "
         f"= **{readout['z']:+.3f}** → P(1) = sigmoid(logit) = **{readout['p']:.3f}** → "
         f"bit **{readout['bit']}**")
    if truth is not None:
        ok = readout["bit"] == truth["sum_bit"]
        s += f" (true sum bit {truth['sum_bit']}: {'right' if ok else 'WRONG'})"
    return s
