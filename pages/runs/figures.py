"""The Runs page's figures: several runs' curves together (arrays in, ``go.Figure`` out; the look is
:mod:`ui.theme`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.theme import LINE_POINTS, SERIES, _empty_note, _figure, _finite, _log_axis, _step_axis, downsample

DASHES = ("solid", "dash", "dot", "dashdot")  # after the palette's colours, runs differ by dash too


def style(i: int) -> dict:
    """Run ``i``'s line: the palette's colours in turn, then the same with another dash."""
    return {"color": SERIES[i % len(SERIES)], "dash": DASHES[(i // len(SERIES)) % len(DASHES)], "width": 2}


def _lines(curves: Sequence[tuple[str, np.ndarray, np.ndarray]], scale: float, fmt: str, points: int):
    data = []
    for i, (name, x, y) in enumerate(curves):
        x, y = downsample(x, y, max_points=points)
        data.append(go.Scatter(x=x, y=_finite(scale * y), name=name, mode="lines", line=style(i),
                               hovertemplate=f"{name}: %{{y:{fmt}}}<extra></extra>"))
    return data


def loss_figure(curves: Sequence[tuple[str, np.ndarray, np.ndarray]], revision="runs.loss") -> go.Figure:
    """Each run's training loss against step, ``curves`` as ``(name, step, loss)``, on a log axis."""
    data = _lines(curves, 1.0, ".4g", LINE_POINTS)
    layout = {"xaxis": _step_axis(), "yaxis": _log_axis(*(d.y for d in data)),
              **_empty_note(data, "No training recorded yet")}
    return _figure(data, "Training loss (log scale)", revision, **layout)


def accuracy_figure(curves: Sequence[tuple[str, np.ndarray, np.ndarray]],
                    revision="runs.accuracy") -> go.Figure:
    """Each run's exact-sum accuracy on the evaluation set, ``curves`` as ``(name, step, fraction)``."""
    data = _lines(curves, 100.0, ".1f", 2000)
    layout = {"xaxis": _step_axis(), "yaxis": {"range": [0, 101], "ticksuffix": "%"},
              **_empty_note(data, "No evaluation recorded yet")}
    return _figure(data, "Exact sums on the evaluation set", revision, legend_y=0.0, **layout)
