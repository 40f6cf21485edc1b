"""The shell every page shares: Streamlit glue, no maths (the engine computes).

:mod:`ui.routing` (the page table; every page URL works from the first visit),
:mod:`ui.session` (this tab's trainer), :mod:`ui.live` (the live tick, live
views and the run status), :mod:`ui.controls` (hyperparameter widgets and run
controls), :mod:`ui.link` (configuration <-> link), :mod:`ui.widget_state`
(settings kept while a page is not shown), :mod:`ui.theme` (the plot look),
:mod:`ui.predictions` (sums and the network's answers), :mod:`ui.downloads`
and :mod:`ui.sums` (typed sums, bits as text). Each page's own script, state
and figures live in ``pages/<page>/``.
"""

from engine.runtime import tune_process

tune_process()  # before any ui module loads NumPy: one BLAS thread, big arrays kept in the heap
