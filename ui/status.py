"""The run status bar on every page that shows the run: its buttons, its figures, what its state
needs said (trouble, a wait, a watched run, a solved one). A live view (:func:`ui.live.view`) of its own.
"""

from __future__ import annotations

import math

import streamlit as st

from ui import session as state
from ui.live import STATUS_SLOT, view
from ui.session import session, state_label

IDLE_INTERVAL = 2.0  # seconds between the status bar's polls of a run that is not training


STATE_ICONS = {"idle": "○", "queued": "…", "training": "▶", "paused": "‖", "solved": "✔", "finished": "■",
               "diverged": "⚠", "stalled": "⚠", "failed": "⚠", "interrupted": "↯", "deleted": "✕"}


def _fmt(value: float, spec: str) -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, spec)


def status_values(lab) -> dict[str, str]:
    """The status bar's figures as display strings (label -> value)."""
    tr = lab.trainer
    ev = tr.history.evals
    label = state_label(lab)
    return {
        "State": f"{STATE_ICONS[label]} {label}",
        f"Step (of {tr.config.steps:,})": f"{tr.step:,}",
        "Samples seen": f"{tr.samples:,}",
        "Loss": _fmt(tr.history.train.last("loss"), ".4g"),
        "Exact sums": _fmt(100 * ev.last("exact_acc"), ".1f") + ("%" if len(ev) else ""),
        "Steps/s": _fmt(lab.rate.rate, ",.0f") if lab.running else "–",
    }


def _notes(lab) -> None:
    """What the state needs said: trouble, a wait, a watched run, a solved one."""
    tr, label = lab.trainer, state_label(lab)
    if lab.error:
        st.error(lab.error, icon=":material/error:")
    if label == "queued":
        where = state.service().queue_position(lab.run_id)
        ahead = f" ({where - 1} ahead of it)" if where and where > 1 else ""
        st.info(f"**Waiting for a free slot**{ahead}: this server trains at most "
                f"{state.service().max_active} runs at once, one per visitor; it starts by itself.",
                icon=":material/hourglass_top:")
    elif label == "deleted":
        st.warning("This run was deleted (on the Runs page or from the command line). Press **Reset** on "
                   "the Train page to start a fresh one.", icon=":material/delete:")
    elif label == "interrupted":
        st.warning(f"{tr.message or 'Training was interrupted.'} Press **Play** to train on from step "
                   f"{tr.step:,}." if lab.owned else tr.message, icon=":material/replay:")
    elif tr.status in ("diverged", "stalled", "failed"):
        st.error(tr.message, icon=":material/warning:")
    elif label == "paused" and tr.message:
        st.info(tr.message, icon=":material/pause_circle:")
    elif tr.solved_at_step is not None:
        st.success(f"**Solved at step {tr.solved_at_step:,}**: every sum of the evaluation set was "
                   "right.", icon=":material/check_circle:")
    if not lab.owned:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.info(f"You are watching run **{lab.run_id}** from a shared link: it trains for whoever "
                    "started it. Train a copy to change it.", icon=":material/visibility:", width="stretch")
            st.button("Train a copy", key="status.copy", icon=":material/content_copy:",
                      on_click=state.train_copy,
                      help="Your own run, from this run's latest checkpoint, with its history so far.")


def _draw_status() -> None:
    lab = session()
    cols = st.columns(6)
    for col, (label, value) in zip(cols, status_values(lab).items(), strict=True):
        col.metric(label, value)
    _notes(lab)


def show_status() -> None:
    """Draw the status bar in the place :func:`ui.live.page_run` set aside, unless it is drawn already.

    The router calls this before the page, so a click's effect (the state reads "paused") is on the
    screen as soon as the run starts, before the page's charts; a page whose own widgets change the
    tab's run (the Train page's settings) calls it once they have been applied, and the router's
    call after the page covers a page that did not."""
    slot = st.session_state.get(STATUS_SLOT)
    if slot is None:
        return
    st.session_state[STATUS_SLOT] = None
    where, controls = slot
    with where:
        status_bar(controls)


def status_bar(controls=None) -> None:
    """The run status on every page that shows the run: ``controls()`` (the run's buttons, drawn by
    the full run so a click reruns every view), then a live view of the figures and notes.

    The live view polls (once per full run, like every view); while the run is not training it
    still looks every ``IDLE_INTERVAL`` seconds, so a run resumed or deleted elsewhere shows.
    """
    lab = session()
    idle = IDLE_INTERVAL if lab.view is not None else None
    with st.container(border=True, key="status_bar"):
        if controls is not None:
            controls()
        view(_draw_status, every=2 if lab.intent is None else 1, idle_every=idle)()
