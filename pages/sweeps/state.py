"""The Sweeps page's session state and its calls into the sweep engine (:mod:`runs.sweep`).

Every key this page owns starts with ``sweeps.``. A sweep belongs to the server: it is
recorded in the store before it trains and its coordinator runs in a thread of the
server process (:func:`runs.sweep_runner.start_sweep`), so closing the tab changes
nothing and any visitor can pick it again from the list. The page only keeps which
sweep it shows and the definition being edited.
"""

from __future__ import annotations

import time

import streamlit as st

from engine import schema
from engine.config import PRESETS
from runs import executors
from runs.search import make_search
from runs.store import data_dir
from runs.sweep import DONE_STATES, SETTINGS, SweepError, make_grid
from runs.sweep_runner import create_sweep, job, spec_of, start_sweep
from runs.sweep_store import SweepStore
from ui.widget_state import WidgetState, ss

P = "sweeps."
W = WidgetState(P)
BASE = PRESETS["fast"]  # the configuration a sweep's settings change
KINDS = {"grid": "Grid: every combination, once per seed", "search": "Search: Optuna's TPE sampler"}
DEFAULTS = {"cell": "rnn", "hidden": "8,16", "lr": "0.02,0.1", "steps": "400"}  # a small first grid
SEARCH_DEFAULTS = {"lr": "0.001:0.3:log", "hidden": "4:32"}
NEW = "new"
REFRESH_S = 1.0  # seconds between looks at a running sweep
LABELS = {name: schema.BY_NAME[name].label for name in SETTINGS}


@st.cache_resource(show_spinner=False)
def _sink(folder: str) -> SweepStore:
    return SweepStore(folder)


def path() -> str:
    return str(data_dir())


def sink() -> SweepStore:
    """The sweeps in the run store of the data folder (one per server and folder)."""
    return _sink(path())


def sweeps() -> list[dict]:
    return sink().sweeps()


def sweep_label(info: dict) -> str:
    if info == NEW:
        return "A new sweep…"
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info["created"]))
    return f"Sweep {info['id']} · {info['kind']} · {info['total']:,} runs · {when}"


# --- the definition -------------------------------------------------------------------------------

def value_hint(name: str, kind: str) -> str:
    row = schema.BY_NAME[name]
    ranges = kind == "search" and row.kind in (int, float)
    how = ("a range low:high (low:high:log for a log scale), or values separated by commas"
           if ranges else "one value, or several separated by commas")
    return f"{row.help} Allowed: {schema.allowed(row)}. Give {how}; one value applies to every run."


def value_key(name: str, kind: str) -> str:
    default = (SEARCH_DEFAULTS if kind == "search" else DEFAULTS).get(name)
    if default is None:
        default = str(schema.BY_NAME[name].default).lower() if schema.BY_NAME[name].kind is bool else \
            str(schema.BY_NAME[name].default)
    return W.bind(f"{kind}.{name}", default)


def define(kind: str, names: list[str]):
    """The grid or search the widgets describe, or ``(None, why not)``."""
    values = {name: str(ss()[value_key(name, kind)]).strip() for name in names}
    try:
        if kind == "grid":
            spec = make_grid(BASE, values, seeds=int(ss()[W.bind("seeds", 2)]),
                             stop_when_solved=ss()[W.bind("stop_when_solved", True)])
        else:
            spec = make_search(BASE, values, trials=int(ss()[W.bind("trials", 12)]),
                               stop_when_solved=ss()[W.bind("stop_when_solved", True)])
        if kind == "grid":
            spec.configs()  # every point checked before anything starts
    except SweepError as e:
        return None, str(e)
    return spec, ""


def start(spec, workers: int) -> None:
    """on_click: record the sweep and start its coordinator in the server; show it."""
    try:
        sweep_id = create_sweep(spec, sink())
    except SweepError as e:
        ss()[P + "error"] = str(e)
        return
    _run(sweep_id, workers)
    W.put("shown", sweep_id)


def _run(sweep_id: int, workers: int | None = None) -> None:
    where = path()
    start_sweep(sweep_id, lambda: _sink(where), lambda: executors.make_executor(workers))


def resume(sweep_id: int) -> None:
    """on_click: train the sweep's missing points."""
    _run(sweep_id, int(ss().get(W.key("workers"), executors.default_workers())))


def cancel(sweep_id: int) -> None:
    """on_click: stop handing out points (finished runs are kept)."""
    running = job(sweep_id)
    if running is not None:
        running.cancel()


def error() -> str | None:
    return ss().pop(P + "error", None)


# --- where a sweep stands -------------------------------------------------------------------------

def status(sweep_id: int) -> dict:
    """``{"state", "done", "total", "fraction", "time_left", "error", "missing"}`` of a sweep.

    ``state``: running | finished | cancelled | error while this server's coordinator has it,
    else "stopped" (e.g. after a restart) or "finished" when every point has a result.
    """
    info = sink().sweep(sweep_id)
    points = sink().points(sweep_id)
    done = sum(p.state in DONE_STATES for p in points)
    missing = info["total"] - done
    running = job(sweep_id)
    if running is not None and (running.alive or running.progress.state != "running"):
        p = running.progress
        state = p.state if not running.alive else "running"
        return {"state": state, "done": done, "total": info["total"], "time_left": p.time_left_s,
                "error": p.error, "missing": missing, "fraction": done / max(1, info["total"])}
    state = "finished" if missing == 0 else "stopped"
    return {"state": state, "done": done, "total": info["total"], "time_left": None, "error": "",
            "missing": missing, "fraction": done / max(1, info["total"])}


def results(sweep_id: int):
    """``(spec, points)`` of a sweep."""
    return spec_of(sink().sweep(sweep_id)), sink().points(sweep_id)


def history(run_id: str) -> dict:
    """A run's stored history (for its loss curve)."""
    return sink().store.history(run_id)


def varied(spec) -> list[str]:
    """The settings a sweep varies (a grid's axes, a search's ranges)."""
    return [r.name for r in spec.ranges] if hasattr(spec, "ranges") else [name for name, _ in spec.axes]
