"""Streamlit glue shared by the pages: no maths here, the engine computes.

The Train page's modules, shared with the other pages: :mod:`ui.session` (the per-session
trainer), :mod:`ui.live` (the live-training tick and the run status), :mod:`ui.controls`
(hyperparameter widgets and run controls), :mod:`ui.figures` (figure builders: arrays in,
``go.Figure`` out), :mod:`ui.link` (configuration <-> link), :mod:`ui.predictions` and
:mod:`ui.downloads`. Shared by every page: :mod:`ui.routing` (links to a page go through
the router), :mod:`ui.widget_state` (widget values kept per page) and :mod:`ui.sums` (typed sums,
bits as text). Each other page has its own ``*_state`` and ``*_figures`` modules.
"""

from engine.runtime import tune_process

tune_process()  # before any ui module loads NumPy: one BLAS thread, big arrays kept in the heap
