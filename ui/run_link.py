"""The run in the link: ``?run=ID&key=KEY`` brings a tab back to its run, or shows another's.

The router calls :func:`follow_link` before a page that shows the run (a shared link, a refresh, a
run opened from the Runs page) and :func:`write_link` after it. Without the run's key the tab only
watches: it can train a copy, never pause, reset or change the run.
"""

from __future__ import annotations

import streamlit as st

from engine import schema
from ui.session import _leave, _show_run, service, session


def attach(run_id: str, key: str | None = None) -> bool:
    """Show stored run ``run_id`` in this tab (controlled if ``key`` is its key, else watched)."""
    lab = session()
    store = service().store
    run = store.read_run(run_id)
    if run is None:
        lab.link_warnings.append(f"There is no run {schema.cut(run_id)} in the run store (it may "
                                 "have been deleted); showing this tab's own model instead.")
        return False
    owned = bool(key) and store.check_key(run_id, key)
    if key and not owned:
        lab.link_warnings.append("The link's control key is not this run's: you can watch the run and "
                                 "train a copy of it.")
    _leave(lab)
    if owned and run["owner"]:
        lab.owner = run["owner"]  # the same visitor, back after a refresh or a restart
    _show_run(lab, run_id, key if owned else None)
    lab.auto_pause = bool(run["pause_when_solved"]) if owned else lab.auto_pause
    return True


def follow_link() -> None:
    """Before a page that shows the run: attach to the run the link names, if the link changed to it
    (a shared link, a refresh, a run opened from the Runs page), not when it is this tab's own."""
    lab = session()
    wanted = st.query_params.get("run")
    if wanted and wanted != lab.linked and wanted != lab.run_id:
        attach(wanted, st.query_params.get("key"))
    lab.linked = wanted or lab.linked


def write_link() -> None:
    """After the page: the run (and its key, for this tab's refreshes) into the link."""
    lab = session()
    for name, value in (("run", lab.run_id), ("key", lab.key)):
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value
    lab.linked = lab.run_id
