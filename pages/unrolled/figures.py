"""Figures of the step-through page: arrays in, plotly figures out (the tables are in
:mod:`pages.unrolled.arithmetic` and :mod:`pages.unrolled.truth_table`).

Everything here only lays out numbers the engine computed (``engine.analysis.explain``,
``engine.analysis.carry``, ``engine.analysis.generalise``); nothing is learned or measured.
The current time step is outlined in every view that has one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ui import theme
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
    bit_axis,
    figure,
)

CARRY_COLORS = BINARY  # no carry / carry, in every carry view
BIT_SCALE = [  # grid cells: 0, 1, a wrong 0, a wrong 1
    [0.0, BIT_OFF], [0.249, BIT_OFF], [0.25, BIT_ON], [0.499, BIT_ON],
    [0.5, "#ffc9c9"], [0.749, "#ffc9c9"], [0.75, "#c92a2a"], [1.0, "#c92a2a"],
]

HIDDEN_EXTRAS = {  # extra (units x steps) maps a gated cell has, label -> trace field (gates are 0..1)
    "lstm": [("cell state c", "c"), ("input gate i", "i"), ("forget gate f", "f"), ("output gate o", "o")],
    "gru": [("update gate z", "z"), ("reset gate r", "r")],
}


def unit_label(u: int, marked: Sequence[int] = (), r: np.ndarray | None = None) -> str:
    """``unit 3``; a starred unit says what it follows: ``★ unit 8 ~ carry out, r = +0.93``."""
    if u not in set(int(m) for m in marked):
        return f"unit {u}"
    return f"★ unit {u}" + ("" if r is None else f" ~ carry out, r = {float(np.asarray(r)[u]):+.2f}")


def _grid_codes(bits: np.ndarray, wrong: np.ndarray | None = None) -> np.ndarray:
    codes = np.asarray(bits, dtype=float)
    if wrong is not None:
        codes = codes + 2 * np.asarray(wrong, dtype=float)
    return codes


ROW_PX = 28  # height of one row of bits


def _bit_grid(steps, names, values, wrong_row=None) -> go.Heatmap:
    """Rows of 0/1 cells with their digits written in; the first row's ``wrong_row`` bits in red."""
    z = np.array([_grid_codes(v, wrong_row if i == 0 and wrong_row is not None else None)
                  for i, v in enumerate(values)])
    text = np.array([[str(int(b)) for b in v] for v in values], dtype=object)
    if wrong_row is not None:
        text[0] = [f"{t} ✗" if w else t for t, w in zip(text[0], wrong_row, strict=True)]
    return go.Heatmap(z=z, x=steps, y=names, zmin=0, zmax=3, colorscale=BIT_SCALE, showscale=False,
                      xgap=2, ygap=2, text=text, texttemplate="%{text}", textfont={"size": FONT},
                      customdata=text, hovertemplate="%{y}, step %{x}: %{customdata}<extra></extra>")


def unrolled_figure(a_bits, b_bits, carry_in, hidden: np.ndarray, prob, pred, sum_bits, carry_out, wrong,
                    step: int | None = None, unit_order: Sequence[int] | None = None,
                    marked: Sequence[int] = (), zrange: tuple[float, float] | None = None,
                    extras: Mapping[str, np.ndarray] | None = None, r: np.ndarray | None = None,
                    msb_left: bool = False, revision="unrolled") -> go.Figure:
    """The unrolled network, one column per time step (bit 0 first, or ``msb_left`` as numbers are written).

    Panels, top to bottom on one x axis: the inputs (a, b); the carry coming
    *in* to each column; the hidden state (units x steps), rows in ``unit_order``
    with the ``marked`` units starred (and, given their correlations ``r``,
    labelled with what they follow); the carry going *out* of each column, which
    is what the starred units follow, right under them; any ``extras`` (label ->
    (H, T), e.g. an LSTM's cell state and gates); the output probability; the
    outputs (predicted bit, true sum bit) with wrong bits in red. ``step`` is
    outlined across all panels. (Panels are placed by hand: ``make_subplots``
    alone costs more than the rest.)
    """
    hidden = np.asarray(hidden, dtype=float)
    H, T = hidden.shape
    order = np.arange(H) if unit_order is None else np.asarray(unit_order, dtype=int)
    extras = dict(extras or {})
    steps = np.arange(T)
    big = theme.presenting()
    unit_px = 18 if H <= 32 else max(4, 576 // H)
    ylabels = [unit_label(u, marked, r) for u in order]
    show_units = H <= 40
    units_axis = {"autorange": "reversed", "showticklabels": show_units, "units_axis": True}
    if big:  # thin rows and only the best starred unit named: the carry out row stays on a 1080 px screen
        unit_px = max(4, min(unit_px, 11))
        best = [y for u, y in zip(order, ylabels, strict=True) if r is None or not len(marked)
                or abs(np.asarray(r)[u]) == max(abs(np.asarray(r)[int(m)]) for m in marked)]
        units_axis.update(tickmode="array", tickvals=[y for y in best if y.startswith("★")][:1],
                          showticklabels=True)
    traces, panels = [], []  # panels: (title, height px, y-axis settings)

    traces.append(_bit_grid(steps, ["a", "b"], [a_bits, b_bits]))
    panels.append(("inputs: bit t of a and of b", 2 * ROW_PX, {"autorange": "reversed"}))
    traces.append(_bit_grid(steps, ["carry in"], [carry_in]))
    panels.append(("carry in: from the column before (step t − 1)", ROW_PX, {}))
    zmin, zmax = zrange if zrange is not None else (float(np.nanmin(hidden)), float(np.nanmax(hidden)))
    traces.append(go.Heatmap(
        z=np.nan_to_num(hidden[order]), x=steps, y=ylabels, zmin=zmin, zmax=zmax, colorscale="Viridis",
        xgap=1, ygap=1, colorbar={"title": {"text": "h"}, "thickness": 12, "len": 0.3, "y": 1.0,
                                  "yanchor": "top"},
        hovertemplate="%{y}, step %{x}<br>h = %{z:.3f}<extra></extra>"))
    panels.append(("hidden state h after step t (units × steps)", H * unit_px, dict(units_axis)))
    traces.append(_bit_grid(steps, ["carry out"], [carry_out]))
    panels.append(("carry out: to the next column (step t + 1); the ★ units follow this row", ROW_PX, {}))
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
        panels.append((label, H * unit_px, dict(units_axis)))
    prob = np.nan_to_num(np.asarray(prob, dtype=float))
    traces.append(go.Bar(
        x=steps, y=prob, marker={"color": [BIT_ON if p >= 0.5 else PALE for p in prob]},
        text=[f"{p:.2f}" for p in prob] if T <= 16 else None, textposition="outside", cliponaxis=False,
        textfont={"size": FONT - 2}, showlegend=False,
        hovertemplate="step %{x}: P(1) = %{y:.3f}<extra></extra>"))
    panels.append(("output probability P(sum bit = 1)", 90, {"range": [0, 1], "tickvals": [0, 0.5, 1]}))
    traces.append(_bit_grid(steps, ["predicted", "true sum"], [pred, sum_bits], wrong_row=wrong))
    panels.append(("outputs", 2 * ROW_PX, {"autorange": "reversed"}))

    grow = theme.PRESENT_HEIGHT if big else 1.0  # taller rows for the larger text of presentation mode
    # rows of bits grow with the text; rows of units are already sized for it
    panels = [(title, h if axis.get("autorange") == "reversed" and "units_axis" in axis else round(h * grow),
               {k: v for k, v in axis.items() if k != "units_axis"}) for title, h, axis in panels]
    gap, top, bottom = round(34 * grow), 30, round(60 * grow)  # pixels between panels, above and below
    plot_h = sum(h for _, h, _ in panels) + gap * (len(panels) - 1)
    look = {"hovermode": "closest", "bargap": 0.15, "margin": {**MARGIN, "t": top, "b": bottom}}
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
    look["xaxis"] = bit_axis(T, msb_left, anchor=f"y{n}")
    prob_axis = f"y{n - 1}"
    shapes.append({"type": "line", "xref": "x", "yref": prob_axis, "x0": -0.5, "x1": T - 0.5, "y0": 0.5,
                   "y1": 0.5, "line": {"dash": "dot", "color": REFERENCE, "width": 1}})
    if step is not None and 0 <= step < T:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": step - 0.5, "x1": step + 0.5,
                       "y0": 0, "y1": 1 + 20 / plot_h, "line": {"color": HIGHLIGHT, "width": 3}})
    look["annotations"], look["shapes"] = annotations, shapes
    # figure() gives the shared look (and presentation mode's text); the height was grown above already
    return figure(traces, "", revision, round((plot_h + top + bottom) / grow), **look)


def correlation_figure(r: np.ndarray, ranking: Sequence[int], marked: Sequence[int] = (), top: int = 24,
                       revision="correlation") -> go.Figure:
    """Each unit's correlation with the carry, strongest first (at most ``top`` units)."""
    r = np.asarray(r, dtype=float)
    units = [int(u) for u in ranking][:top]
    marked = set(int(m) for m in marked)
    bars = go.Bar(
        x=r[units], y=[unit_label(u, marked) for u in units], orientation="h",
        marker={"color": [HIGHLIGHT if u in marked else (GREY if r[u] >= 0 else PALE)
                          for u in units]},
        hovertemplate="%{y}: r = %{x:.3f}<extra></extra>")
    return figure(
        [bars], "Correlation of each unit with the carry", revision, max(220, 18 * len(units) + 80),
        xaxis={"range": [-1.05, 1.05], "title": {"text": "Pearson r with the carry out of the step"}},
        yaxis={"autorange": "reversed"})


def probe_curve_figure(steps: np.ndarray, accuracy: np.ndarray, baseline: float | None = None,
                       revision="probe") -> go.Figure:
    """Held-out probe accuracy against training step (with the current-bits-only yardstick)."""
    fig = figure(
        [go.Scatter(x=np.asarray(steps), y=100 * np.asarray(accuracy, dtype=float), mode="lines+markers",
                    line={"color": GREEN}, marker={"size": 5}, name="probe",
                    hovertemplate="step %{x:,d}: %{y:.2f}%<extra></extra>")],
        "Probe accuracy while training (%)", revision, 240,
        xaxis={"title": {"text": "training step"}, "rangemode": "tozero"},
        yaxis={"range": [50, 100.5], "ticksuffix": "%"})
    if baseline is not None and np.isfinite(baseline):
        fig.add_hline(y=100 * baseline, line={"dash": "dot", "color": REFERENCE},
                      annotation_text="current bits alone", annotation_position="bottom right")
    return fig


def pca_figure(points: np.ndarray, carry: np.ndarray, explained: np.ndarray, path: np.ndarray | None = None,
               step: int | None = None, revision="pca") -> go.Figure:
    """Hidden states on their first two principal components, coloured by the true carry.

    ``path`` (T, 2) is the sum being stepped through; its point at ``step`` is ringed.
    """
    points = np.asarray(points, dtype=float)
    carry = np.asarray(carry)
    traces = []
    for c, name in ((0, "no carry"), (1, "carry")):
        sel = carry == c
        traces.append(go.Scattergl(
            x=points[sel, 0], y=points[sel, 1], mode="markers", name=name,
            marker={"color": CARRY_COLORS[c], "size": 5, "opacity": 0.45},
            hovertemplate=f"{name}<br>PC1 %{{x:.2f}}, PC2 %{{y:.2f}}<extra></extra>"))
    if path is not None and len(path):
        path = np.asarray(path, dtype=float)
        traces.append(go.Scatter(
            x=path[:, 0], y=path[:, 1], mode="lines+markers+text", name="this sum",
            text=[str(t) if t in (0, step, len(path) - 1) else "" for t in range(len(path))],
            customdata=np.arange(len(path)), textposition="top center",
            line={"color": INK, "width": 1.5}, marker={"color": INK, "size": 7},
            hovertemplate="this sum, step %{customdata}<extra></extra>"))
        if step is not None and 0 <= step < len(path):
            traces.append(go.Scatter(
                x=[path[step, 0]], y=[path[step, 1]], mode="markers", name=f"step {step}",
                marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"color": HIGHLIGHT, "width": 3}},
                hoverinfo="skip"))
    ev = 100 * np.asarray(explained, dtype=float)
    return figure(
        traces, "Hidden states, first two principal components", revision, 420,
        xaxis={"title": {"text": f"PC1 ({ev[0]:.0f}% of variance)"}, "zeroline": False},
        yaxis={"title": {"text": f"PC2 ({ev[1]:.0f}% of variance)"}, "zeroline": False},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0})


def length_figure(widths: np.ndarray, exact: np.ndarray, bit: np.ndarray, train_bits: int,
                  current: int | None = None, revision="length") -> go.Figure:
    """Exact-sum and bit accuracy against bit width; the training width is marked."""
    fig = figure([
        go.Scatter(x=widths, y=100 * np.asarray(exact), mode="lines+markers", name="exact sums",
                   line={"color": GREEN}, hovertemplate="%{x} bits: %{y:.1f}% exact<extra></extra>"),
        go.Scatter(x=widths, y=100 * np.asarray(bit), mode="lines+markers", name="bits",
                   line={"color": PURPLE, "dash": "dot"},
                   hovertemplate="%{x} bits: %{y:.1f}% of bits<extra></extra>"),
    ], "Accuracy on longer numbers, same weights (%)", revision, 300,
        xaxis={"title": {"text": "bit width"}}, yaxis={"range": [-2, 102], "ticksuffix": "%"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0})
    fig.add_vline(x=train_bits, line={"dash": "dash", "color": REFERENCE},
                  annotation_text=f"trained on {train_bits} bits", annotation_position="bottom right")
    if current is not None and current != train_bits:
        fig.add_vline(x=current, line={"color": HIGHLIGHT, "width": 2})
    return fig
