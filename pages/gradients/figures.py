"""Figures and tables of the Gradients page: arrays in, ``go.Figure`` or ``DataFrame`` out (pure)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.theme import HEIGHT, SERIES, bit_axis, figure

LAYER_COLORS = SERIES[:4]


def _bit_axis(T: int) -> dict:
    return bit_axis(T)  # least significant bit first, and says so


def delta_heatmap(d: np.ndarray, title: str, symbol: str = "dL/dh", revision="delta") -> go.Figure:
    """Units x time steps of a gradient for one sum, red for positive and blue for negative.

    ``d`` is (H, T). The colour scale is symmetric around 0 and spans the largest
    magnitude, so the fading of the error going back in time is visible.
    """
    d = np.asarray(d, dtype=float)
    H, T = d.shape
    top = float(np.nanmax(np.abs(d))) if np.isfinite(d).any() else 1.0
    top = top if top > 0 else 1.0
    heat = go.Heatmap(
        z=np.where(np.isfinite(d), d, np.nan), x=np.arange(T), y=[f"unit {i}" for i in range(H)],
        zmin=-top, zmax=top, colorscale="RdBu", reversescale=True, xgap=1, ygap=1,
        colorbar={"title": {"text": symbol}, "thickness": 12, "exponentformat": "e"},
        hovertemplate="%{y}, step %{x}<br>" + symbol + " = %{z:.3e}<extra></extra>")
    return figure([heat], title, revision, height=max(260, 18 * H + 110), xaxis=_bit_axis(T),
                   yaxis={"autorange": "reversed", "showticklabels": H <= 32})


def step_norm_figure(norms: np.ndarray, title: str, revision="norms", height: int = HEIGHT) -> go.Figure:
    """Bars of the gradient norm reaching each time step, one colour per layer.

    ``norms`` is (layers, T), as :meth:`engine.model.SequenceModel.backward` returns it.
    The axis is logarithmic when the bars span more than a factor of 10 (a fading
    gradient spans orders of magnitude), else linear from zero so that small
    differences are not blown up.
    """
    norms = np.atleast_2d(np.asarray(norms, dtype=float))
    L, T = norms.shape
    shown = norms[np.isfinite(norms) & (norms > 0)]
    log = shown.size > 0 and shown.max() > 10 * shown.min()
    bars = []
    for l in range(L):
        y = np.where(np.isfinite(norms[l]) & (norms[l] > 0 if log else True), norms[l], np.nan)
        bars.append(go.Bar(x=np.arange(T), y=y, name=f"layer {l + 1}",
                           marker={"color": LAYER_COLORS[l % len(LAYER_COLORS)]},
                           hovertemplate=f"layer {l + 1}, step %{{x}}<br>norm %{{y:.3e}}<extra></extra>"))
    yaxis = ({"type": "log", "exponentformat": "power"} if log
             else {"rangemode": "tozero", "exponentformat": "e"})
    return figure(bars, title + (" (log scale)" if log else ""), revision, height=height, barmode="group",
                   showlegend=L > 1, xaxis=_bit_axis(T), yaxis={**yaxis, "title": {"text": "norm"}},
                   legend={"orientation": "h", "y": 1.0, "x": 1.0, "xanchor": "right", "yanchor": "bottom"})


def check_frame(rows: Sequence) -> pd.DataFrame:
    """One row per parameter of a gradient check (:class:`engine.gradcheck.GradCheckRow`)."""
    return pd.DataFrame({
        "parameter": [r.name for r in rows],
        "shape": [" × ".join(map(str, r.shape)) for r in rows],
        "relative error": [r.rel_error for r in rows],
        "max abs error": [r.max_abs_error for r in rows],
        "ok": ["✔ ok" if r.ok else "✘ too large" for r in rows],
    })


def reference_frame(rows: Sequence) -> pd.DataFrame:
    """One row per weight of reference 004's check (:class:`engine.gradcheck.RecurrentCheckRow`)."""
    return pd.DataFrame({
        "weight": [r.label for r in rows],
        "numerical": [r.numerical for r in rows],
        "backprop": [r.backprop for r in rows],
        "|difference|": [r.abs_error for r in rows],
    })


def matrix_frame(m: np.ndarray, rows: Sequence[str], cols: Sequence[str]) -> pd.DataFrame:
    """A small matrix as a labelled table."""
    return pd.DataFrame(np.asarray(m, dtype=float), index=list(rows), columns=list(cols))


def states_frame(h: np.ndarray, delta: np.ndarray) -> pd.DataFrame:
    """States and deltas of a few steps side by side: one row per step, (T, H) arrays in."""
    h, delta = np.asarray(h, dtype=float), np.asarray(delta, dtype=float)
    cols = {}
    for name, arr in (("h", h), ("δ", delta)):
        for j in range(arr.shape[1]):
            cols[f"{name} unit {j}"] = arr[:, j]
    return pd.DataFrame(cols, index=[f"step {t + 1}" for t in range(h.shape[0])])
