"""The Sweeps page's figures: heatmaps over two settings, overlaid loss curves, Optuna's figures
with the shared look (arrays in, ``go.Figure`` out; the look is :mod:`ui.theme`)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.theme import FONT, LINE_POINTS, SERIES, _figure, _finite, _log_axis, _step_axis, downsample, layout

HEAT_HEIGHT = 340


def _ticks(values: Sequence) -> list[str]:
    return [str(v) for v in values]


def heatmap_figure(xs: Sequence, ys: Sequence, z: np.ndarray, count: np.ndarray, title: str, x_label: str,
                   y_label: str | None, fmt: str, colorscale: str, zrange=None, revision="heat") -> go.Figure:
    """``z`` (len(ys), len(xs)) as a heatmap with each cell's value and run count written in it."""
    text = [[("–" if not np.isfinite(v) else format(v, fmt)) + f"<br>({n} run{'s' if n != 1 else ''})"
             for v, n in zip(row, crow, strict=True)] for row, crow in zip(z, count, strict=True)]
    zmin, zmax = zrange if zrange else (None, None)
    trace = go.Heatmap(x=_ticks(xs), y=_ticks(ys) if y_label else [""], z=_finite(z), text=text,
                       texttemplate="%{text}", textfont={"size": FONT - 1}, colorscale=colorscale,
                       zmin=zmin, zmax=zmax, hoverongaps=False, xgap=2, ygap=2,
                       hovertemplate=f"{x_label} %{{x}}" + (f", {y_label} %{{y}}" if y_label else "")
                       + ": %{text}<extra></extra>")
    return go.Figure(data=[trace], layout=layout(
        title, revision, HEAT_HEIGHT, xaxis={"title": {"text": x_label}, "type": "category"},
        yaxis={"title": {"text": y_label or ""}, "type": "category", "autorange": "reversed"}))


def curves_figure(curves: Sequence[tuple[object, object, np.ndarray, np.ndarray]], by_label: str,
                  revision="curves") -> go.Figure:
    """Every run's training loss, ``curves`` as ``(run, value, step, loss)``, coloured by ``value``."""
    values = list(dict.fromkeys(v for _, v, _, _ in curves))
    try:
        values.sort()
    except TypeError:
        values.sort(key=str)
    colour = {v: SERIES[i % len(SERIES)] for i, v in enumerate(values)}
    data, shown = [], set()
    for run, value, step, loss in curves:
        x, y = downsample(step, loss, max_points=LINE_POINTS // 2)
        data.append(go.Scatter(x=x, y=_finite(y), mode="lines", name=f"{by_label} {value}",
                               legendgroup=str(value), showlegend=value not in shown, opacity=0.75,
                               line={"color": colour[value], "width": 1.5},
                               hovertemplate=f"run {run}, {by_label} {value}: %{{y:.4g}}<extra></extra>"))
        shown.add(value)
    return _figure(data, f"Training loss of every run, coloured by {by_label.lower()} (log scale)", revision,
                   height=360, hovermode="closest", xaxis=_step_axis(), yaxis=_log_axis(*(d.y for d in data)))


def styled(fig: go.Figure, title: str, revision, height: int = 380) -> go.Figure:
    """One of Optuna's figures with the shared look and our title."""
    fig.update_layout(layout(title, revision, height))
    return fig


def optuna_figures(study, names: Sequence[str], labels: dict[str, str],
                   revision="optuna") -> dict[str, go.Figure]:
    """Optuna's figures that fit the study: parallel coordinates (always), parameter importance
    (two or more settings, two or more trials) and a contour of the first two settings (two or more)."""
    from optuna import visualization as vis

    target = "steps to solve"
    out = {"parallel": styled(vis.plot_parallel_coordinate(study, target_name=target),
                              "Parallel coordinates: each line a run, coloured by steps to solve", revision)}
    if len(names) >= 2 and len(study.trials) >= 2:
        try:
            with warnings.catch_warnings():  # "importances will be equal" when few trials differ
                warnings.simplefilter("ignore", UserWarning)
                fig = vis.plot_param_importances(study, target_name=target)
            out["importance"] = styled(fig, "Which settings matter most for steps to solve", revision, 300)
        except (RuntimeError, ValueError):  # e.g. every trial took the same steps: nothing to attribute
            pass
        title = f"Steps to solve over {labels[names[0]]} and {labels[names[1]]}"
        out["contour"] = styled(vis.plot_contour(study, params=list(names[:2]), target_name=target), title,
                                revision, 420)
    return out
