"""Streamlit glue shared by the pages: no maths here, the engine computes.

The Train page's modules, shared with the other pages: :mod:`ui.state` (the per-session
trainer), :mod:`ui.live` (the live-training tick and the run status), :mod:`ui.controls`
(hyperparameter widgets and run controls), :mod:`ui.figures` (figure builders: arrays in,
``go.Figure`` out), :mod:`ui.query` (configuration <-> link), :mod:`ui.predictions` and
:mod:`ui.downloads`.
"""

from engine.runtime import tune_process

tune_process()  # before any ui module loads NumPy: one BLAS thread, big arrays kept in the heap
