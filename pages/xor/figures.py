"""Figures of the XOR playground: arrays in, ``go.Figure`` out (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from engine.xor.boundary import unit_order
from ui.theme import BINARY, BLUE, FONT, HIGHLIGHT, INK, ORANGE, downsample, figure, layout

TARGET_COLORS = BINARY  # blue for 0, orange for 1 (as the boundary's colours)
BOUNDARY_SCALE = [[0.0, BLUE], [0.5, "#f8f9fa"], [1.0, ORANGE]]


def input_label(x: Sequence[float]) -> str:
    return f"({x[0]:.0f}, {x[1]:.0f})"


def loss_figure(losses: np.ndarray, loss_label: str, at_step: int | None = None,
                revision="xor_loss") -> go.Figure:
    """Training loss per step on a log axis; a dashed line marks ``at_step`` (the step looked at)."""
    losses = np.asarray(losses, dtype=float)
    steps = np.arange(1, len(losses) + 1)
    x, y = downsample(steps, np.where(np.isfinite(losses) & (losses > 0), losses, np.nan))
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name="loss", line={"color": BLUE, "width": 2},
                               hovertemplate="step %{x:,d}<br>loss %{y:.4g}<extra></extra>"))
    if at_step is not None and at_step < len(losses):
        fig.add_vline(x=at_step, line={"color": HIGHLIGHT, "dash": "dash", "width": 2})
    return fig.update_layout(layout(f"Loss: {loss_label} (log scale)", revision, showlegend=False,
                             xaxis={"title": {"text": "step"}, "rangemode": "tozero"},
                             yaxis={"type": "log", "exponentformat": "power"}))


def boundary_figure(xs: np.ndarray, ys: np.ndarray, probs: np.ndarray, points: np.ndarray,
                    targets: np.ndarray, predictions: np.ndarray, revision="xor_boundary") -> go.Figure:
    """The network's output over the input plane, its 0.5 contour, and the four XOR points.

    Parameters
    ----------
    xs, ys : (R,) grid coordinates;  probs : (R, R) output with rows following ``ys``
    points : (4, 2) the inputs;  targets, predictions : (4,)
    """
    probs = np.where(np.isfinite(probs), probs, np.nan)
    traces = [go.Heatmap(
        x=xs, y=ys, z=probs, zmin=0, zmax=1, colorscale=BOUNDARY_SCALE,
        colorbar={"title": {"text": "output"}, "thickness": 12},
        hovertemplate="x₁ = %{x:.2f}, x₂ = %{y:.2f}<br>output %{z:.3f}<extra></extra>")]
    if np.isfinite(probs).any() and np.nanmin(probs) < 0.5 < np.nanmax(probs):
        traces.append(go.Contour(
            x=xs, y=ys, z=probs, showscale=False, contours={"start": 0.5, "end": 0.5, "size": 1,
                                                            "coloring": "none"},
            line={"color": INK, "width": 2, "dash": "dash"}, hoverinfo="skip", name="output = 0.5"))
    for t in (0, 1):
        sel = np.asarray(targets) == t
        pts = np.asarray(points)[sel]
        traces.append(go.Scatter(
            x=pts[:, 0], y=pts[:, 1], mode="markers+text", name=f"target {t}",
            marker={"size": 22, "color": TARGET_COLORS[t], "line": {"color": "white", "width": 3},
                    "symbol": "circle" if t else "square"},
            text=[f"{p:.2f}" for p in np.asarray(predictions)[sel]], textposition="top center",
            textfont={"size": FONT, "color": INK},
            hovertemplate=f"input %{{x:.0f}}, %{{y:.0f}}<br>prediction %{{text}}<extra>target {t}</extra>"))
    axis = {"range": [float(xs[0]), float(xs[-1])], "zeroline": False, "tickvals": [0, 0.5, 1],
            "constrain": "domain"}
    return figure(traces, "Decision boundary over the input plane", revision, height=440,
                  xaxis={**axis, "title": {"text": "x₁"}},
                  yaxis={**axis, "title": {"text": "x₂"}, "scaleanchor": "x"},
                  legend={"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0.0})


def hidden_figure(h: np.ndarray, points: np.ndarray, targets: np.ndarray, title: str,
                  zrange: tuple[float, float] | None = None, sort: bool = True,
                  revision="xor_hidden") -> go.Figure:
    """One hidden layer's activations for the four inputs: inputs x units.

    With ``sort`` the units are ordered by :func:`engine.xor.boundary.unit_order` (those that fire for
    XOR = 1 on the left), which makes the pattern the output reads easy to see.
    """
    h = np.asarray(h, dtype=float)
    order = unit_order(h, targets) if sort else np.arange(h.shape[1])
    labels = [f"{input_label(x)} → {int(t)}" for x, t in zip(points, targets, strict=True)]
    zmin, zmax = zrange if zrange is not None else (float(np.nanmin(h)), float(np.nanmax(h)))
    gap = 1 if h.shape[1] <= 32 else 0
    heat = go.Heatmap(
        z=np.where(np.isfinite(h), h, np.nan)[:, order], x=[str(u) for u in order], y=labels, zmin=zmin,
        zmax=zmax, colorscale="Viridis", xgap=gap, ygap=2, colorbar={"title": {"text": "h"}, "thickness": 12},
        hovertemplate="input %{y}<br>unit %{x}: %{z:.3f}<extra></extra>")
    fig = go.Figure(heat)
    x_axis = {"title": {"text": "units, sorted" if sort else "unit"}, "type": "category",
             "showticklabels": h.shape[1] <= 32}
    y_axis = {"autorange": "reversed"}
    return fig.update_layout(layout(title, revision, height=230, xaxis=x_axis, yaxis=y_axis))


def predictions_frame(points: np.ndarray, targets: np.ndarray, predictions: np.ndarray) -> pd.DataFrame:
    """The four predictions as a table: input, target, prediction, right or wrong."""
    right = (np.asarray(predictions) >= 0.5) == (np.asarray(targets) >= 0.5)
    return pd.DataFrame({
        "input": [input_label(x) for x in points],
        "target": [int(t) for t in targets],
        "prediction": np.asarray(predictions, dtype=float),
        "result": ["✔ right" if r else "✘ wrong" for r in right],
    })


def printed_lines(points: np.ndarray, predictions: np.ndarray) -> str:
    """The predictions printed one per line as the reference prints them: ``in: [0. 1.] pred: [0.98...]``."""
    return "\n".join(f"in: [{x[0]:.0f}. {x[1]:.0f}.] pred: [{p:.8f}]"
                     for x, p in zip(points, predictions, strict=True))
