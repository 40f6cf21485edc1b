"""Streamlit glue shared by the pages: per-session state, the live-training tick, widgets,
figure builders (pure functions: arrays in, ``go.Figure`` out), link parsing and downloads.

Modules: :mod:`ui.state`, :mod:`ui.live`, :mod:`ui.controls`, :mod:`ui.figures`,
:mod:`ui.query`, :mod:`ui.predictions`, :mod:`ui.downloads`. No maths here: the engine computes.
"""
