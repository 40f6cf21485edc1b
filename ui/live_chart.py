"""The live chart: a Plotly figure mounted once in the browser and updated in place.

``st.plotly_chart`` rebuilds its chart in the browser on every update, so a chart
redrawn ten times a second keeps going blank and forgets the user's zoom. This
component (Streamlit's Components v2, no iframe) creates the chart once and hands
every later figure to ``Plotly.react``, which redraws in place; the figure's
``layout.uirevision`` keeps zoom and pan across updates.

plotly.js comes from the installed ``plotly`` package, served by the app itself
(``server.enableStaticServing``: files in ``static/`` are served at ``app/static/``),
so the app needs no internet. :func:`ensure_plotly_js` copies it there when this
module is imported; ``static/`` holds nothing else and git ignores its contents.

Use ``live_chart(fig, key="page.name")`` where a live view would call
``st.plotly_chart``; static figures may stay ``st.plotly_chart``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import plotly
import plotly.graph_objects as go
import streamlit as st
from plotly.io.json import to_json_plotly

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "static"  # next to streamlit_app.py, as Streamlit's static serving expects
PLOTLY_JS = "plotly.min.js"
PLOTLY_SRC = f"app/static/{PLOTLY_JS}"  # relative to the page, so a server.baseUrlPath still works
# Plotly config of every live chart: no logo; the tool bar shows on hover (zoom, pan, reset). The chart
# follows its column's width by itself (a ResizeObserver in live_chart.js), so no "responsive".
CONFIG = {"displaylogo": False}
# A light look of our own instead of plotly's default template (a fifth of a small figure's
# JSON, sent ten times a second): clear background, faint grid. Font and text colour follow the app.
_AXIS = {"showgrid": True, "gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "linecolor": "#9ca3af",
         "automargin": True}
TEMPLATE = {"layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                       "xaxis": _AXIS, "yaxis": _AXIS, "hoverlabel": {"align": "left"}}}


def plotly_js_source() -> Path:
    """The plotly.js bundle shipped inside the installed ``plotly`` package."""
    return Path(plotly.__file__).resolve().parent / "package_data" / PLOTLY_JS


def ensure_plotly_js(static: Path = STATIC) -> Path:
    """Copy the installed package's plotly.min.js into ``static`` unless an identical copy is there.

    The copy is written to a temporary file and renamed, so a browser (or another process
    doing the same) never sees half a file. Returns the copy's path.
    """
    src, dest = plotly_js_source(), static / PLOTLY_JS
    if dest.is_file() and dest.stat().st_size == src.stat().st_size and dest.read_bytes() == src.read_bytes():
        return dest
    static.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=static, prefix=".plotly-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the web server only needs to read it
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


try:
    ensure_plotly_js()
except OSError as e:  # a read-only install: the charts then say that plotly.js could not be loaded
    logging.getLogger(__name__).warning("could not copy plotly.js into %s: %s", STATIC, e)

_component = st.components.v2.component(
    "rnn_lab_live_chart",
    js=(HERE / "live_chart.js").read_text(encoding="utf-8"),
    css=(HERE / "live_chart.css").read_text(encoding="utf-8"),
    # Plotly styles its tool bar and hover labels with rules it adds to the page's <head>,
    # which a shadow root would keep out.
    isolate_styles=False,
)


def payload(fig: go.Figure, config: dict | None = None) -> dict:
    """What the component receives: the figure as JSON (our template in place of plotly's
    default), the plotly config, the chart's height and where plotly.js is served."""
    spec = fig.to_dict()
    spec["layout"]["template"] = TEMPLATE
    return {
        "figure": to_json_plotly(spec),
        "config": {**CONFIG, **(config or {})},
        "height": spec["layout"].get("height"),
        "plotly_src": PLOTLY_SRC,
    }


def live_chart(fig: go.Figure, *, key: str, config: dict | None = None) -> None:
    """Draw ``fig`` in a chart that stays mounted across reruns (``key`` names it; keep it stable).

    Each call with new data updates the browser's chart in place with ``Plotly.react``.
    """
    _component(key=key, data=payload(fig, config))
