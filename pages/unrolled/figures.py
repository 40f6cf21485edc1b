"""Figures and tables of the step-through page: arrays in, plotly figures or DataFrames out
(the truth table is in :mod:`pages.unrolled.truth_table`).

Everything here only lays out numbers the engine computed (``engine.analysis.explain``,
``engine.analysis.carry``, ``engine.analysis.generalise``); nothing is learned or measured.
The current time step is outlined in every view that has one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from engine.analysis.explain import LayerStep
from ui.theme import (
    BINARY,
    BIT_OFF,
    BIT_ON,
    FONT,
    GREEN,
    GREY,
    HIGHLIGHT,
    INK,
    MARGIN,
    PALE,
    PURPLE,
    REFERENCE,
    layout,
)

CARRY_COLORS = BINARY  # no carry / carry, in every carry view
BIT_SCALE = [  # grid cells: 0, 1, a wrong 0, a wrong 1
    [0.0, BIT_OFF], [0.249, BIT_OFF], [0.25, BIT_ON], [0.499, BIT_ON],
    [0.5, "#ffc9c9"], [0.749, "#ffc9c9"], [0.75, "#c92a2a"], [1.0, "#c92a2a"],
]

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
HIDDEN_EXTRAS = {  # extra (units x steps) maps a gated cell has, label -> trace field (gates are 0..1)
    "lstm": [("cell state c", "c"), ("input gate i", "i"), ("forget gate f", "f"), ("output gate o", "o")],
    "gru": [("update gate z", "z"), ("reset gate r", "r")],
}
SKIP_ENTRIES = {"gates", "tanh_c", "hn"}  # internal or repeated trace fields left out of the table


def unit_label(u: int, marked: Sequence[int] = ()) -> str:
    return f"★ unit {u}" if u in set(int(m) for m in marked) else f"unit {u}"


def _grid_codes(bits: np.ndarray, wrong: np.ndarray | None = None) -> np.ndarray:
    codes = np.asarray(bits, dtype=float)
    if wrong is not None:
        codes = codes + 2 * np.asarray(wrong, dtype=float)
    return codes


def unrolled_figure(a_bits, b_bits, carry_in, hidden: np.ndarray, prob, pred, sum_bits, carry_out, wrong,
                    step: int | None = None, unit_order: Sequence[int] | None = None,
                    marked: Sequence[int] = (), zrange: tuple[float, float] | None = None,
                    extras: Mapping[str, np.ndarray] | None = None, revision="unrolled") -> go.Figure:
    """The unrolled network, one column per time step (least significant bit on the left).

    Panels, top to bottom on one x axis: the inputs (a, b, carry in); the hidden
    state (units x steps), rows in ``unit_order`` with the ``marked`` units
    starred; any ``extras`` (label -> (H, T), e.g. an LSTM's cell state and
    gates); the output probability; the outputs (predicted bit, true sum bit,
    carry out) with wrong bits in red. ``step`` is outlined across all panels.
    (Panels are placed by hand: ``make_subplots`` alone costs more than the rest.)
    """
    hidden = np.asarray(hidden, dtype=float)
    H, T = hidden.shape
    order = np.arange(H) if unit_order is None else np.asarray(unit_order, dtype=int)
    extras = dict(extras or {})
    steps = np.arange(T)
    unit_px = 18 if H <= 32 else max(4, 576 // H)
    ylabels = [unit_label(u, marked) for u in order]
    show_units = H <= 40
    traces, panels = [], []  # panels: (title, height px, y-axis settings)

    def grid(names, values, wrong_row=None):
        z = np.array([_grid_codes(v, wrong_row if i == 0 and wrong_row is not None else None)
                      for i, v in enumerate(values)])
        text = np.array([[str(int(b)) for b in v] for v in values], dtype=object)
        if wrong_row is not None:
            text[0] = [f"{t} ✗" if w else t for t, w in zip(text[0], wrong_row, strict=True)]
        return go.Heatmap(z=z, x=steps, y=names, zmin=0, zmax=3, colorscale=BIT_SCALE, showscale=False,
                          xgap=2, ygap=2, text=text, texttemplate="%{text}", textfont={"size": FONT},
                          customdata=text, hovertemplate="%{y}, step %{x}: %{customdata}<extra></extra>")

    traces.append(grid(["a", "b", "carry in"], [a_bits, b_bits, carry_in]))
    panels.append(("inputs", 3 * 28, {"autorange": "reversed"}))
    zmin, zmax = zrange if zrange is not None else (float(np.nanmin(hidden)), float(np.nanmax(hidden)))
    traces.append(go.Heatmap(
        z=np.nan_to_num(hidden[order]), x=steps, y=ylabels, zmin=zmin, zmax=zmax, colorscale="Viridis",
        xgap=1, ygap=1, colorbar={"title": {"text": "h"}, "thickness": 12, "len": 0.3, "y": 1.0,
                                  "yanchor": "top"},
        hovertemplate="%{y}, step %{x}<br>h = %{z:.3f}<extra></extra>"))
    panels.append(("hidden state h (units × steps)", H * unit_px,
                   {"autorange": "reversed", "showticklabels": show_units}))
    for label, values in extras.items():
        values = np.nan_to_num(np.asarray(values, dtype=float))
        if "gate" in label:  # gates are fractions: 0 closed, 1 open, the same colours in every panel
            lo, hi = 0.0, 1.0
        else:  # e.g. the cell state: symmetric around 0
            hi = max(float(np.abs(values).max()), 1e-9)
            lo = -hi
        traces.append(go.Heatmap(
            z=values[order], x=steps, y=ylabels, colorscale="Viridis", zmin=lo, zmax=hi,
            showscale=False, xgap=1, ygap=1,
            hovertemplate=f"%{{y}}, step %{{x}}<br>{label} = %{{z:.3f}}<extra></extra>"))
        panels.append((label, H * unit_px, {"autorange": "reversed", "showticklabels": show_units}))
    prob = np.nan_to_num(np.asarray(prob, dtype=float))
    traces.append(go.Bar(
        x=steps, y=prob, marker={"color": [BIT_ON if p >= 0.5 else PALE for p in prob]},
        text=[f"{p:.2f}" for p in prob] if T <= 16 else None, textposition="outside", cliponaxis=False,
        textfont={"size": FONT - 2}, showlegend=False,
        hovertemplate="step %{x}: P(1) = %{y:.3f}<extra></extra>"))
    panels.append(("output probability P(sum bit = 1)", 90, {"range": [0, 1], "tickvals": [0, 0.5, 1]}))
    traces.append(grid(["predicted", "true sum", "carry out"], [pred, sum_bits, carry_out], wrong_row=wrong))
    panels.append(("outputs", 3 * 28, {"autorange": "reversed"}))

    gap, top, bottom = 34, 30, 60  # pixels between panels, above and below
    plot_h = sum(h for _, h, _ in panels) + gap * (len(panels) - 1)
    look = layout("", revision, plot_h + top + bottom, margin={**MARGIN, "t": top, "b": bottom},
                  hovermode="closest", bargap=0.15)  # no title: each panel has its own label
    annotations, shapes = [], []
    y1 = plot_h
    for i, (trace, (title, h, axis)) in enumerate(zip(traces, panels, strict=True)):
        name = "y" if i == 0 else f"y{i + 1}"
        trace.update(xaxis="x", yaxis=name)
        lo, hi = (y1 - h) / plot_h, y1 / plot_h
        look["yaxis" if i == 0 else f"yaxis{i + 1}"] = {"domain": [max(lo, 0.0), min(hi, 1.0)],
                                                         "anchor": "x", **axis}
        annotations.append({"text": title, "x": 0, "xref": "paper", "y": hi, "yref": "paper",
                            "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                            "font": {"size": FONT - 1, "color": GREY}})
        y1 -= h + gap
    n = len(panels)
    look["xaxis"] = {"anchor": f"y{n}", "tickmode": "array", "tickvals": steps, "range": [-0.5, T - 0.5],
                       "title": {"text": "time step t = bit position (least significant bit first)"}}
    prob_axis = f"y{n - 1}"
    shapes.append({"type": "line", "xref": "x", "yref": prob_axis, "x0": -0.5, "x1": T - 0.5, "y0": 0.5,
                   "y1": 0.5, "line": {"dash": "dot", "color": REFERENCE, "width": 1}})
    if step is not None and 0 <= step < T:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": step - 0.5, "x1": step + 0.5,
                       "y0": 0, "y1": 1 + 20 / plot_h, "line": {"color": HIGHLIGHT, "width": 3}})
    look["annotations"], look["shapes"] = annotations, shapes
    return go.Figure(traces, look)


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


def correlation_figure(r: np.ndarray, ranking: Sequence[int], marked: Sequence[int] = (), top: int = 24,
                       revision="correlation") -> go.Figure:
    """Each unit's correlation with the carry, strongest first (at most ``top`` units)."""
    r = np.asarray(r, dtype=float)
    units = [int(u) for u in ranking][:top]
    marked = set(int(m) for m in marked)
    fig = go.Figure(go.Bar(
        x=r[units], y=[unit_label(u, marked) for u in units], orientation="h",
        marker={"color": [HIGHLIGHT if u in marked else (GREY if r[u] >= 0 else PALE)
                          for u in units]},
        hovertemplate="%{y}: r = %{x:.3f}<extra></extra>"))
    fig.update_layout(layout(
        "Correlation of each unit with the carry", revision, max(220, 18 * len(units) + 80),
        xaxis={"range": [-1.05, 1.05], "title": {"text": "Pearson r with the carry out of the step"}},
        yaxis={"autorange": "reversed"}))
    return fig


def probe_curve_figure(steps: np.ndarray, accuracy: np.ndarray, baseline: float | None = None,
                       revision="probe") -> go.Figure:
    """Held-out probe accuracy against training step (with the current-bits-only yardstick)."""
    fig = go.Figure(go.Scatter(
        x=np.asarray(steps), y=100 * np.asarray(accuracy, dtype=float), mode="lines+markers",
        line={"color": GREEN}, marker={"size": 5}, name="probe",
        hovertemplate="step %{x:,d}: %{y:.2f}%<extra></extra>"))
    if baseline is not None and np.isfinite(baseline):
        fig.add_hline(y=100 * baseline, line={"dash": "dot", "color": REFERENCE},
                      annotation_text="current bits alone", annotation_position="bottom right")
    fig.update_layout(layout(
        "Probe accuracy while training (%)", revision, 240,
        xaxis={"title": {"text": "training step"}, "rangemode": "tozero"},
        yaxis={"range": [50, 100.5], "ticksuffix": "%"}))
    return fig


def pca_figure(points: np.ndarray, carry: np.ndarray, explained: np.ndarray, path: np.ndarray | None = None,
               step: int | None = None, revision="pca") -> go.Figure:
    """Hidden states on their first two principal components, coloured by the true carry.

    ``path`` (T, 2) is the sum being stepped through; its point at ``step`` is ringed.
    """
    points = np.asarray(points, dtype=float)
    carry = np.asarray(carry)
    fig = go.Figure()
    for c, name in ((0, "no carry"), (1, "carry")):
        sel = carry == c
        fig.add_trace(go.Scattergl(
            x=points[sel, 0], y=points[sel, 1], mode="markers", name=name,
            marker={"color": CARRY_COLORS[c], "size": 5, "opacity": 0.45},
            hovertemplate=f"{name}<br>PC1 %{{x:.2f}}, PC2 %{{y:.2f}}<extra></extra>"))
    if path is not None and len(path):
        path = np.asarray(path, dtype=float)
        fig.add_trace(go.Scatter(
            x=path[:, 0], y=path[:, 1], mode="lines+markers+text", name="this sum",
            text=[str(t) if t in (0, step, len(path) - 1) else "" for t in range(len(path))],
            customdata=np.arange(len(path)), textposition="top center",
            line={"color": INK, "width": 1.5}, marker={"color": INK, "size": 7},
            hovertemplate="this sum, step %{customdata}<extra></extra>"))
        if step is not None and 0 <= step < len(path):
            fig.add_trace(go.Scatter(
                x=[path[step, 0]], y=[path[step, 1]], mode="markers", name=f"step {step}",
                marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"color": HIGHLIGHT, "width": 3}},
                hoverinfo="skip"))
    ev = 100 * np.asarray(explained, dtype=float)
    fig.update_layout(layout(
        "Hidden states, first two principal components", revision, 420,
        xaxis={"title": {"text": f"PC1 ({ev[0]:.0f}% of variance)"}, "zeroline": False},
        yaxis={"title": {"text": f"PC2 ({ev[1]:.0f}% of variance)"}, "zeroline": False},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0}))
    return fig


def length_figure(widths: np.ndarray, exact: np.ndarray, bit: np.ndarray, train_bits: int,
                  current: int | None = None, revision="length") -> go.Figure:
    """Exact-sum and bit accuracy against bit width; the training width is marked."""
    fig = go.Figure([
        go.Scatter(x=widths, y=100 * np.asarray(exact), mode="lines+markers", name="exact sums",
                   line={"color": GREEN}, hovertemplate="%{x} bits: %{y:.1f}% exact<extra></extra>"),
        go.Scatter(x=widths, y=100 * np.asarray(bit), mode="lines+markers", name="bits",
                   line={"color": PURPLE, "dash": "dot"},
                   hovertemplate="%{x} bits: %{y:.1f}% of bits<extra></extra>"),
    ])
    fig.add_vline(x=train_bits, line={"dash": "dash", "color": REFERENCE},
                  annotation_text=f"trained on {train_bits} bits", annotation_position="bottom right")
    if current is not None and current != train_bits:
        fig.add_vline(x=current, line={"color": HIGHLIGHT, "width": 2})
    fig.update_layout(layout(
        "Accuracy on longer numbers, same weights (%)", revision, 300,
        xaxis={"title": {"text": "bit width"}}, yaxis={"range": [-2, 102], "ticksuffix": "%"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0}))
    return fig
