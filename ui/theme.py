"""The look every chart of every page shares (fonts, sizes, colours, layout) and helpers for figures.

A page's ``figures.py`` builds its figures with :func:`figure` (or gives an
existing figure the look with ``fig.update_layout(layout(...))``) and takes
its colours from here, so the pages look alike and the look is changed in
one place.

Every builder is a pure function of NumPy arrays, so a page (or a test) can
build figures from any history or trace. Each sets ``layout.uirevision`` to
the ``revision`` it is given, so zoom and hidden traces survive live updates;
pass a new revision (e.g. one per run) to start afresh. Long histories are
averaged down with :func:`downsample` (per-step curves to ``LINE_POINTS``
points, which also smooths one-sum-per-step noise) so a 100 000-step run
stays cheap to send and draw.

**Presentation mode** (:mod:`ui.present` switches it per script run with
:func:`presenting`) is a property of this look, not of single figures:
:func:`layout` and :func:`figure` then raise every font size to at least
:data:`PRESENT_FONT` pixels (scaled alike, so titles stay larger than ticks)
and make charts taller to fit.
"""

from __future__ import annotations

import contextvars

import numpy as np
import plotly.graph_objects as go

MAX_POINTS = 2000
LINE_POINTS = 500  # per-step curves are averaged to this many points: smoother, and cheap to redraw
HEIGHT = 280
FONT = 14
# st.plotly_chart config for charts redrawn many times a second: the browser rebuilds a chart on each
# update, and the tool bar is a good part of that work (drag still zooms, a double click resets).
LIVE_CONFIG = {"displayModeBar": False}
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
LEGEND_TOP = 68  # top margin of a chart whose legend sits in a row under the title

# The palette: series colours in order (lines, layers), then greys and the highlight.
BLUE, ORANGE, GREEN, PURPLE, PINK = "#1f5fbf", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c"
SERIES = (BLUE, ORANGE, GREEN, PURPLE, PINK)
BINARY = {0: BLUE, 1: ORANGE}  # a 0 and a 1 (targets, the carry) wherever they are told apart
INK = "#212529"  # drawn marks that must read as text (a path, a boundary)
GREY = "#495057"  # secondary marks and panel labels
REFERENCE = "#868e96"  # reference lines (a baseline, the training width)
PALE = "#adb5bd"  # marks that should recede
HIGHLIGHT = "#e03131"  # the step or point being looked at, on every page
BIT_OFF, BIT_ON = "#f1f3f5", "#343a40"  # a 0 and a 1 in grids of bits
COLORS = {"loss": BLUE, "eval": ORANGE, "exact": GREEN, "bit": PURPLE, "grad": PINK}

PRESENT_FONT = 18  # the smallest chart text in presentation mode, in px (readable from the back of a room)
PRESENT_HEIGHT = 1.3  # charts grow by this factor in presentation mode, to fit the larger text
_PRESENTING = contextvars.ContextVar("presenting", default=False)
_FONT_KEYS = ("font", "textfont", "tickfont", "insidetextfont", "outsidetextfont")


def presenting(on: bool | None = None) -> bool:
    """Whether figures are built for presentation mode; ``on`` switches it for this thread's run."""
    if on is not None:
        _PRESENTING.set(bool(on))
    return _PRESENTING.get()


def present_size(size: float) -> float:
    """A font size as drawn in presentation mode: scaled by 18/14, never under :data:`PRESENT_FONT`."""
    return max(PRESENT_FONT, round(size * PRESENT_FONT / FONT))


def _present(obj):
    """A copy of a layout (or part of one) with every font size set for presentation mode."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in _FONT_KEYS and isinstance(v, dict) and isinstance(v.get("size"), (int, float)):
                v = {**v, "size": present_size(v["size"])}
            out[k] = _present(v)
        return out
    if isinstance(obj, list):
        return [_present(v) for v in obj]
    return obj


def _present_axes(out: dict) -> None:
    """Give every axis, the legend and the notes of a presentation layout explicit text sizes.

    (Streamlit's chart theme sets its own small tick and legend fonts where a figure
    leaves them to ``layout.font``, so inheriting the larger size is not enough.)
    """
    size, big = PRESENT_FONT, present_size(FONT)
    axes = [k for k in out if k.startswith(("xaxis", "yaxis"))] or []
    for k in {"xaxis", "yaxis", *axes}:
        axis = dict(out.get(k) or {})
        ticks = axis.get("tickfont", {})
        axis["tickfont"] = {**ticks, "size": max(ticks.get("size", 0), size)}
        if axis.get("type") == "log" and "dtick" not in axis:
            axis["dtick"] = 1  # powers of ten only: plotly draws its 2s and 5s at 3/4 of the size
        title = axis.get("title")
        title = dict(title) if isinstance(title, dict) else ({"text": title} if title else {})
        title["font"] = {**title.get("font", {}), "size": max(title.get("font", {}).get("size", 0), big)}
        axis["title"] = title
        out[k] = axis
    legend = dict(out.get("legend") or {})
    legend["font"] = {**legend.get("font", {}), "size": max(legend.get("font", {}).get("size", 0), size)}
    out["legend"] = legend
    out["annotations"] = [{**a, "font": {**a.get("font", {}), "size": max(a.get("font", {}).get("size", 0),
                                                                        size)}}
                          for a in out.get("annotations", [])]


def _present_traces(data) -> None:
    """Set the trace-level text sizes of ``data`` (plotly trace objects) for presentation mode."""
    for trace in data if isinstance(data, (list, tuple)) else [data]:
        props = getattr(trace, "_valid_props", ())
        for k in ("textfont", "insidetextfont", "outsidetextfont"):
            font = getattr(trace, k, None) if k in props else None
            if font is not None and (font.size is not None or k == "textfont"):
                font.size = present_size(font.size or FONT)
        if "colorbar" in props and getattr(trace, "showscale", None) is not False:
            trace.colorbar.tickfont.size = PRESENT_FONT
            trace.colorbar.title.font.size = PRESENT_FONT


def layout(title: str, revision, height: int = HEIGHT, **extra) -> dict:
    """The shared layout: title at the top left, fonts, margins, height; ``extra`` adds or overrides.

    ``uirevision`` is ``revision``: zoom and hidden traces survive redraws with the same one.
    """
    base = {"title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": FONT + 2},
                      "yref": "container", "y": 1.0, "yanchor": "top", "pad": {"t": 8}},
            "height": height, "margin": MARGIN, "font": {"size": FONT}, "uirevision": revision}
    out = {**base, **extra}
    if presenting():
        out = _present(out)
        _present_axes(out)
        out["height"] = round(out["height"] * PRESENT_HEIGHT)
        margin = out.get("margin") or MARGIN
        out["margin"] = {**margin, "t": round(margin.get("t", 40) * PRESENT_HEIGHT)}
    return out


def figure(data, title: str, revision, height: int = HEIGHT, **extra) -> go.Figure:
    """A figure with the shared look, its layout given to the constructor in one piece.

    (Several times cheaper than ``update_layout``, which matters at ten redraws a second.)
    In presentation mode the traces' own text sizes are raised too.
    """
    if presenting():
        _present_traces(data)
    return go.Figure(data=data, layout=layout(title, revision, height, **extra))


LSB_FIRST = "bit 0 first, time →"
MSB_LEFT = "← time: most significant bit on the left, as numbers are written"


def bit_axis(T: int, msb_left: bool = False, **extra) -> dict:
    """The x axis of a grid with one column per time step (= bit position), saying which way it runs.

    Least significant bit first (time to the right) by default; ``msb_left`` draws it as
    people write numbers, the most significant bit on the left.
    """
    axis = {"tickmode": "array", "tickvals": list(range(T)), "range": [-0.5, T - 0.5],
            "title": {"text": MSB_LEFT if msb_left else LSB_FIRST}}
    if msb_left:
        axis["range"] = [T - 0.5, -0.5]
    return {**axis, **extra}


def state_range(activation: str, cell: str = "rnn") -> tuple[float, float] | None:
    """The colour range of hidden states: a gated cell's and a squashing activation's fixed range,
    else None (fit to the values)."""
    if cell != "rnn":
        return (-1.0, 1.0)
    return {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(activation)


def downsample(x: np.ndarray, *ys: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """Average consecutive points into at most ``max_points`` buckets.

    ``x`` keeps the last value of each bucket (the step reached); each ``y`` its
    mean over the finite values (NaN when none). Short inputs come back as they are.
    """
    x = np.asarray(x, dtype=float)
    ys = tuple(np.asarray(y, dtype=float) for y in ys)
    n = len(x)
    if n <= max_points:
        return (x, *ys)
    size = -(-n // max_points)  # ceil: points per bucket
    m = n // size
    start = n - m * size  # keep the newest points in whole buckets; the oldest remainder is dropped
    out_x = x[start:].reshape(m, size)[:, -1]
    out = []
    for y in ys:
        yb = y[start:].reshape(m, size)
        ok = np.isfinite(yb)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(ok, yb, 0.0).sum(axis=1) / ok.sum(axis=1))
    return (out_x, *out)


def _finite(y: np.ndarray) -> np.ndarray:
    """Non-finite values become NaN (gaps), which JSON and plotly both accept."""
    y = np.asarray(y, dtype=float)
    return np.where(np.isfinite(y), y, np.nan)


def _figure(data: list, title: str, revision, height: int = HEIGHT, hovermode: str = "x unified",
            legend_y: float = 1.0, **extra) -> go.Figure:
    """A training-curve figure: :func:`figure` with one hover label for all lines and the legend in a
    row of its own between the title and the plot, clear of the curves (``legend_y`` is kept for callers;
    the legend no longer sits inside the plot)."""
    legend = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0}
    margin = {**MARGIN, "t": LEGEND_TOP}
    return figure(data, title, revision, height,
                  **{"hovermode": hovermode, "legend": legend, "margin": margin, **extra})


def _line(x, y, name: str, color: str, fmt: str, width: float = 2.0) -> go.Scatter:
    return go.Scatter(x=x, y=_finite(y), name=name, mode="lines", line={"color": color, "width": width},
                      hovertemplate=f"{name}: %{{y:{fmt}}}<extra></extra>")


def _log_axis(*ys: np.ndarray) -> dict:
    """A log axis labelled at every power of ten when the data spans 2 to 8 decades, else plotly's choice.

    (Fewer decades would leave too few labels, many would print hundreds.)
    """
    axis = {"type": "log", "exponentformat": "power"}
    vals = np.concatenate([np.asarray(y, dtype=float).ravel() for y in ys]) if ys else np.empty(0)
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size and 2 <= np.log10(vals.max() / vals.min()) <= 8:
        axis["dtick"] = 1
    return axis


def _empty_note(data: list, text: str) -> dict:
    """A centred note for a chart with nothing to draw yet (else no layout additions)."""
    if any(len(d.x) for d in data if d.x is not None):
        return {}
    return {"annotations": [{"text": text, "showarrow": False, "xref": "paper", "yref": "paper",
                             "x": 0.5, "y": 0.5, "font": {"size": FONT + 2, "color": REFERENCE}}],
            "xaxis": {**_step_axis(), "showticklabels": False}, "yaxis": {"showticklabels": False}}


def _step_axis() -> dict:
    return {"title": {"text": "step"}, "hoverformat": ",d", "rangemode": "tozero"}
