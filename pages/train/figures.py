"""The Train page's figures: arrays in, ``go.Figure`` out, nothing else (the look is :mod:`ui.theme`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ui.theme import (  # noqa: F401
    BIT_OFF,
    BIT_ON,
    COLORS,
    FONT,
    GREEN,
    HEIGHT,
    HIGHLIGHT,
    LINE_POINTS,
    MAX_POINTS,
    _empty_note,
    _figure,
    _finite,
    _line,
    _log_axis,
    _step_axis,
    downsample,
)


def solved_marks(solved_at: int | None, at: str = "top", last_step: float | None = None) -> dict:
    """Layout additions marking the step at which the run was solved: a dotted vertical line with a
    label beside it at the ``at`` ("top" or "bottom") of the plot, where the curves leave room and the
    legend is not (none when not solved). The label goes left of the line, or right of it when the line
    is in the left third of the x axis (steps 0 to ``last_step``), where the left has no room for it."""
    if solved_at is None:
        return {}
    side = "left" if last_step and solved_at < last_step / 3 else "right"
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": solved_at, "x1": solved_at, "y0": 0, "y1": 1,
            "line": {"color": GREEN, "width": 2, "dash": "dot"}, "layer": "below"}
    label = {"text": f"solved at step {solved_at:,}", "x": solved_at, "xref": "x", "y": float(at == "top"),
             "yref": "paper", "xanchor": side, "yanchor": at, "showarrow": False,
             "bgcolor": "rgba(255,255,255,0.7)", "font": {"size": FONT, "color": GREEN}}
    return {"shapes": [line], "annotations": [label]}


def _last(steps) -> float | None:
    return float(steps[-1]) if len(steps) else None


def loss_figure(step: np.ndarray, loss: np.ndarray, eval_step: np.ndarray | None = None,
                eval_loss: np.ndarray | None = None, revision="loss", train_label: str | None = None,
                eval_label: str | None = None, solved_at: int | None = None) -> go.Figure:
    """Training loss per step (and evaluation-set loss) on a log axis; the solved step marked.

    Losses of two different kinds (``train_label`` and ``eval_label`` given, e.g. the classic loop's
    summed absolute error of one sum and the evaluation set's cross-entropy) get an axis each, left
    and right, each titled with what it measures.
    """
    x, y = downsample(step, loss, max_points=LINE_POINTS)
    data = [_line(x, y, "training loss", COLORS["loss"], ".4g", 1.5)]
    ey = np.empty(0)
    two = train_label is not None and eval_label is not None
    if eval_step is not None and eval_loss is not None and len(eval_step):
        ex, ey = downsample(eval_step, eval_loss)
        data.append(_line(ex, ey, "evaluation loss", COLORS["eval"], ".4g"))
        if two:
            data[-1].update(yaxis="y2")
    empty, marks = _empty_note(data[:1], "No training yet"), solved_marks(solved_at, "bottom", _last(step))
    if not two:
        return _figure(data, "Loss (log scale)", revision,
                       **{"xaxis": _step_axis(), "yaxis": _log_axis(y, ey), **marks, **empty})
    left = {**_log_axis(y), "title": {"text": train_label, "font": {"color": COLORS["loss"]}}}
    right = {**_log_axis(ey), "title": {"text": eval_label, "font": {"color": COLORS["eval"]}},
             "overlaying": "y", "side": "right", "showgrid": False}
    if empty:  # nothing drawn yet: the note, and the axes keep their titles
        left["showticklabels"] = right["showticklabels"] = False
        empty = {k: v for k, v in empty.items() if k != "yaxis"}
    axes = {"xaxis": _step_axis(), "yaxis": left, "yaxis2": right}
    return _figure(data, "Losses (log scales)", revision, **{**axes, **marks, **empty})


def accuracy_figure(eval_step: np.ndarray, exact: np.ndarray, bit: np.ndarray,
                    revision="accuracy", solved_at: int | None = None) -> go.Figure:
    """Exact-sum and bit accuracy on the evaluation set, in percent; the solved step marked."""
    x, e, b = downsample(eval_step, exact, bit)
    data = [_line(x, 100 * e, "exact sums", COLORS["exact"], ".1f"),
            _line(x, 100 * b, "bits", COLORS["bit"], ".1f")]
    return _figure(data, "Accuracy on the evaluation set", revision, xaxis=_step_axis(), legend_y=0.0,
                   yaxis={"range": [0, 101], "ticksuffix": "%"},
                   **solved_marks(solved_at, last_step=_last(eval_step)))


def grad_norm_figure(step: np.ndarray, grad_norm: np.ndarray, revision="grad_norm") -> go.Figure:
    """Global gradient norm per step (before clipping) on a log axis."""
    x, g = downsample(step, grad_norm, max_points=LINE_POINTS)
    data = [_line(x, g, "gradient norm", COLORS["grad"], ".3g", 1.5)]
    layout = {"xaxis": _step_axis(), "yaxis": _log_axis(g), **_empty_note(data, "No training yet")}
    return _figure(data, "Gradient norm (log scale)", revision, showlegend=False, **layout)


def hidden_heatmap(h: np.ndarray, bit_rows: Mapping[str, Sequence[int]] | None = None, *,
                   highlight: int | None = None, unit_order: Sequence[int] | None = None,
                   zrange: tuple[float, float] | None = None, title: str = "Hidden state",
                   revision="hidden", height: int | None = None) -> go.Figure:
    """Hidden units x time steps (least significant bit on the left), bit rows beneath.

    Parameters
    ----------
    h : (H, T) activations of one sum, units x steps
    bit_rows : label -> (T,) 0/1 values drawn as a grid under the heatmap (e.g. the carries)
    highlight : a time step to outline in both panels
    unit_order : row order of the units (e.g. ranked by how well they track the carry)
    zrange : colour scale limits; by default the data's range
    """
    h = np.asarray(h, dtype=float)
    H, T = h.shape
    order = np.arange(H) if unit_order is None else np.asarray(unit_order)
    rows = dict(bit_rows or {})
    steps = np.arange(T)
    zmin, zmax = zrange if zrange is not None else (float(np.nanmin(h)), float(np.nanmax(h)))
    # Two panels on one x axis: units on top (y), bit rows beneath (y2), sized by their row counts.
    split = len(rows) * 1.4 / (H + len(rows) * 1.4) if rows else 0.0
    gap = 0.05 if rows else 0.0
    data = [go.Heatmap(
        z=_finite(h[order]), x=steps, y=[f"unit {i}" for i in order], zmin=zmin, zmax=zmax,
        colorscale="Viridis", xgap=1, ygap=1,
        colorbar={"title": {"text": "h"}, "thickness": 12, "len": 1 - split, "y": 1.0, "yanchor": "top"},
        hovertemplate="%{y}, bit %{x}<br>h = %{z:.3f}<extra></extra>",
    )]
    layout = {"yaxis": {"domain": [split + gap, 1.0], "autorange": "reversed", "showticklabels": H <= 32},
              "xaxis": {"tickmode": "array", "tickvals": steps, "anchor": "y2" if rows else "y",
                        "title": {"text": "bit position (least significant first)"}}}
    if rows:
        grid = np.array([np.asarray(v, dtype=float) for v in rows.values()])
        data.append(go.Heatmap(
            z=grid, x=steps, y=list(rows), zmin=0, zmax=1, showscale=False, yaxis="y2",
            colorscale=[[0, BIT_OFF], [1, BIT_ON]], xgap=2, ygap=2,
            text=grid.astype(int).astype(str), texttemplate="%{text}", textfont={"size": FONT},
            hovertemplate="%{y}, bit %{x}: %{z:.0f}<extra></extra>",
        ))
        layout["yaxis2"] = {"domain": [0.0, split], "autorange": "reversed"}
    if highlight is not None and 0 <= highlight < T:
        layout["shapes"] = [{"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1,
                             "x0": highlight - 0.5, "x1": highlight + 0.5,
                             "line": {"color": HIGHLIGHT, "width": 3}}]
    return _figure(data, title, revision, height=height or max(260, 20 * H + 40 * len(rows) + 90),
                   hovermode="closest", **layout)
