"""The step-through page's analyses of the model it shows, memoised per session.

Analyses are memoised by the weights' fingerprint; while training runs they
are refreshed at most every few seconds so live ticks stay short.
"""

from __future__ import annotations

import time

from engine.analysis import budget
from engine.analysis.carry import CarryReport, carry_analysis, fingerprint
from engine.analysis.explain import hard_cases, wrong_sums
from engine.analysis.generalise import LengthCurve, default_widths, length_generalisation
from engine.analysis.probe import ProbeTracker
from engine.data import eval_set
from engine.model import SequenceModel
from pages.unrolled.state import TRAINED, P, is_live, source
from ui import live
from ui.session import session, track_probe, weights_step
from ui.widget_state import ss

REPORT_REFRESH_S = 3.0  # while training: recompute the carry analyses at most this often
LENGTH_REFRESH_S = 6.0  # ... and the length-generalisation curve
CLICK_PATIENCE = 3.0  # a full run of the page (a click) reuses a live result this many times as old
MEMO_SIZE = 4


def _memo(name: str, model: SequenceModel, compute, refresh_s: float):
    """Memoise ``compute()`` by the model's fingerprint; while live, reuse a result for ``refresh_s``.

    While live, the page's full runs (a click on the stepper, say) reuse a result up to
    ``CLICK_PATIENCE`` times as old, so a click never waits for an analysis (~0.1-0.3 s each for the
    default model): the live views' own timed runs recompute it."""
    store = ss().setdefault(P + "memo_" + name, {})
    fp = fingerprint(model)
    if fp in store:
        return store[fp][1]
    latest = store.get("latest")
    trained = source() == TRAINED
    follows = session().trainer if trained else model  # a run's weights are a new object each snapshot
    patience = refresh_s * (CLICK_PATIENCE if live.full_run() else 1.0)
    fresh = latest is not None and time.perf_counter() - latest[1] < patience
    if fresh and is_live() and latest[0] is follows:
        return latest[2]
    value = compute()
    step = weights_step(session().trainer) if trained else None
    store[fp] = (time.perf_counter(), value)
    store["latest"] = (follows, time.perf_counter(), value, step)
    keys = [k for k in store if k != "latest"]
    for k in keys[:-MEMO_SIZE]:
        del store[k]
    return value


def measured_at(name: str) -> int | None:
    """The training step at which the latest ``name`` analysis was computed (None for a loaded model)."""
    latest = ss().get(P + "memo_" + name, {}).get("latest")
    return None if latest is None or source() != TRAINED else latest[3]


def report(model: SequenceModel, layer: int = -1) -> CarryReport:
    """Correlation ranking, probe, truth table and PCA of ``model``'s ``layer`` on its evaluation set."""
    return _memo(f"report{layer % model.config.layers}", model,
                 lambda: carry_analysis(model, layer=layer, seconds=budget.CARRY_S), REPORT_REFRESH_S)


def length_curve(model: SequenceModel, progress=None) -> LengthCurve:
    """Exact-sum accuracy from the training width to 64 bits (``progress(done, total)`` per width)."""
    return _memo("length", model, lambda: length_generalisation(
        model, default_widths(model.config.bits), max_pairs=None, seconds=budget.LENGTH_S, progress=progress),
        LENGTH_REFRESH_S)


def memo_wrong(model: SequenceModel) -> list[tuple[int, int]]:
    return _memo("wrong", model, lambda: wrong_sums(model, eval_set(model.config.bits), limit=5,
                                                    seconds=budget.WRONG_SUMS_S), REPORT_REFRESH_S)


def probe_series() -> ProbeTracker:
    """Probe accuracy against training step of the session's trainer (a new series per run).

    The live tick records it on every page (:func:`ui.session.track_probe`);
    paused, this adds the current step.
    """
    lab = session()
    return track_probe(lab, force=not lab.running)


def case_options(model: SequenceModel, bits: int) -> dict[tuple[int, int], str]:
    """(a, b) -> label: the hard cases at this width, then sums the network gets wrong (if any)."""
    out = {(c["a"], c["b"]): c["label"] for c in hard_cases(bits)}
    for a, b in memo_wrong(model):
        out.setdefault((a, b), "the network gets this one wrong")
    return out
