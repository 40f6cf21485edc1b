"""The Runs page's session state and its reads of the run store.

Every key this page owns starts with ``runs.``; the filters and the chosen runs are
:class:`ui.widget_state.WidgetState` settings, so they survive a visit to another page.
The page only reads the store (any visitor may watch any run) and deletes through
:func:`runs.library.discard`, which refuses runs that are queued or training, and a page's run
without its key (only the tab that started it may delete it).
"""

from __future__ import annotations

import time

import streamlit as st

from engine import schema
from runs import RunError, Store, catalog, data_dir
from runs.export import history_csv
from runs.library import discard
from ui.session import session
from ui.widget_state import WidgetState, ss

P = "runs."
W = WidgetState(P)
REFRESH_S = 3.0  # seconds between looks at the store while the page is open
PAGES = (("train", "Train", ":material/model_training:"), ("unrolled", "Unrolled", ":material/view_week:"),
         ("gradients", "Gradients", ":material/trending_down:"))
CELLS = schema.BY_NAME["cell"].choices


@st.cache_resource(show_spinner=False)
def _store(folder: str) -> Store:
    return Store(folder)


def store() -> Store:
    """The run store of the data folder (one per server and folder)."""
    return _store(str(data_dir()))


def all_runs() -> list[dict]:
    """Every stored run, newest first."""
    return store().list_runs()


def label(run: dict) -> str:
    """A run as a person picks it: id, model, state."""
    c = run["config"]
    cell = schema.BY_NAME["cell"].show(c["cell"])
    return f"{run['id']} · {cell} {c['hidden']}×{c['layers']} · {run['state']}"


def chosen(ids: list[str]) -> str:
    """The widget key of the runs chosen to look at, keeping only those still listed in ``ids``."""
    key = W.bind("chosen", [])
    kept = [i for i in ss()[key] if i in ids]
    if kept != ss()[key]:
        W.put("chosen", kept)
    return key


DIFFERS_STYLE = "background-color: #fff3bf; font-weight: 600"  # a setting in which the chosen runs differ


def shown_value(setting: str, value) -> str:
    """A setting's value as the pages name it ("–" when a run does not have it)."""
    row = schema.BY_NAME.get(setting)
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return schema.number(value)
    return row.show(value) if row else str(value)


def page_path(name: str) -> str:
    return f"pages/{name}/page.py"


def when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else "–"


# --- downloads (read when clicked, so a training run gives its latest) -------------------------------

def weights(run_id: str) -> bytes:
    found = store().snapshot_bytes(run_id)
    return found[1] if found else b""


def history(run_id: str) -> bytes:
    return history_csv(store().history(run_id)).encode()


def table_csv(runs: list[dict]) -> bytes:
    return catalog.runs_csv([catalog.summary_row(r) for r in runs]).encode()


def curves(runs: list[dict]) -> tuple[list, list]:
    """``(loss curves, exact-accuracy curves)`` of ``runs`` as ``(name, step, values)``."""
    loss, exact = [], []
    for run in runs:
        h = store().history(run["id"])
        loss.append((run["id"], h["train"]["step"], h["train"]["loss"]))
        exact.append((run["id"], h["evals"]["step"], h["evals"]["exact_acc"]))
    return loss, exact


# --- delete, asked twice -----------------------------------------------------------------------------

def ask_delete(run_id: str) -> None:
    ss()[P + "deleting"] = run_id


def keep() -> None:
    ss()[P + "deleting"] = None


def delete(run_id: str) -> None:
    """on_click: delete the run (or say why not)."""
    ss()[P + "deleting"] = None
    try:
        lab = session()
        discard(store(), run_id, key=lab.key if lab.run_id == run_id else None)
        ss()[P + "notice"] = ("success", f"Deleted run {run_id}.")
    except RunError as e:
        ss()[P + "notice"] = ("error", f"Run {run_id} was not deleted: {e}.")


def deleting() -> str | None:
    return ss().get(P + "deleting")


def notice() -> tuple[str, str] | None:
    """The outcome of the last delete, shown once."""
    return ss().pop(P + "notice", None)
