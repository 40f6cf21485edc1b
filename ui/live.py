"""Live views: the one poll every live view runs, and the one way to make a live view.

Training happens in a worker process (:mod:`runs.service`); a live view only looks. While the
tab's run trains, each live view is an ``st.fragment`` rerun every ``INTERVAL`` seconds (times its
``every``): it polls the run store for what is new (:meth:`runs.view.RunView.refresh`: new history
rows, newer weights), then draws. Paused, the fragments have no timer (or a slow one, to notice a
run resumed elsewhere).

Several live views run in the same full script run (the status bar of every page and a page's own
views); only the first one polls. A view rerun on its own timer is a run of its own and polls.

The speed is the worker's pace: *class* trains ``runs.worker.CLASS_PACE`` steps a second, evenly, so
the charts move at a pace a teacher can talk over; *full* trains as fast as the worker can.

Pages use:

- ``@view()`` / ``@view(every=3, drive=False)`` / ``view(func, idle_every=0.8)()`` -- make a live view
- ``play()``, ``pause()``, ``step()``, ``set_speed(label)`` -- the controls

The router uses ``with page_run(status, controls): ...`` around the page; the status bar itself is
:mod:`ui.status`.
"""

from __future__ import annotations

import contextlib
import functools
import time

import streamlit as st

from runs.worker import CLASS_PACE
from ui import present
from ui import session as state
from ui.session import session, track_probe

INTERVAL = 0.2  # seconds between live-view polls while training (times the crowd factor)
CROWD_FREE = 2  # pages polling at once on this server before the live views slow down
MAX_SLOWDOWN = 8.0  # ... by at most this factor (a poll every 1.6 s), so a class shares the server
SPEEDS = {"crawl": 1.0, "class": CLASS_PACE, "slow": 30.0, "full": 0.0}  # label -> steps/s (0: no limit)
STEP_STEPS = {"crawl": 1, "class": 1, "slow": 10, "full": 100}  # steps a Step click trains, per speed
STEP_WAIT_S = 0.3  # a Step click waits this long at most for the worker to take the steps
_VIEWS = "live.page_views"  # how many page views called poll() in this full run
_RUN = "live.page_run"  # a token set for the length of a full script run by page_run()
STATUS_SLOT = "live.status"  # (container, controls) of the status bar this full run has yet to draw


def poll() -> bool:
    """One live poll: read what is new about the tab's run. Returns whether anything changed.

    Does nothing when another live view already polled in this full script run (a view rerun on
    its own timer is a run of its own). When the run's state changes (Play elsewhere, the budget
    used, solved with auto-pause, diverged, deleted) it reruns the whole app so every button and
    timer follows.
    """
    st.session_state[_VIEWS] = st.session_state.get(_VIEWS, 0) + 1
    lab = session()
    if lab.view is None:
        return False
    token = st.session_state.get(_RUN)
    if token is not None:
        if token is lab.poll_token:
            return False
        lab.poll_token = token
    try:
        state.service().watch(lab.run_id)  # a run nobody watches pauses after a while
        changed = lab.view.refresh()
    except Exception as e:  # noqa: BLE001 -- a busy or vanished database: the next poll tries again
        lab.error = f"Could not read the run store: {e}"
        return False
    lab.polls += 1
    state.settle(lab)
    running = lab.running
    now_crowd = crowd()
    if running and not 1 / 1.5 < now_crowd / lab.crowd < 1.5:  # the timers follow a changed crowd
        lab.crowd = now_crowd
        st.rerun()
    if running:
        lab.rate.add(lab.view.step)
    if changed:
        track_probe(lab)  # every couple of seconds, on whichever page is open
    if _note_state(lab):  # the buttons and timers follow the new state
        st.rerun()
    return changed


def _note_state(lab) -> bool:
    """Remember whether the run trains, and its state; returns whether either changed since last noted
    (the buttons and timers drawn before that were drawn for the old state)."""
    running, seen = lab.running, (lab.run_id, lab.view.state if lab.view is not None else None)
    if running == lab.was_running and seen == lab.seen:
        return False
    if lab.was_running and not running:
        lab.rate.clear()
    lab.was_running, lab.seen = running, seen
    return True


def full_run() -> bool:
    """Whether this script run is a full run of the page (a click, a link, a refresh), not a live
    view's run on its own timer."""
    return st.session_state.get(_RUN) is not None


def crowd() -> float:
    """How much slower than ``INTERVAL`` live views poll: 1 while at most ``CROWD_FREE`` pages poll on
    this server, growing with more (up to ``MAX_SLOWDOWN``), so many visitors training at once leave
    the server time to answer clicks and new visitors."""
    return min(MAX_SLOWDOWN, max(1.0, state.service().watchers() / CROWD_FREE))


def play() -> None:
    """Train on: start the draft as a run, or resume the run (no-op when it cannot train)."""
    lab = session()
    lab.error = ""
    if not lab.can_play:
        return
    pace = SPEEDS[lab.speed]
    if lab.view is None:
        if not state.start_run(pace=pace):
            return
    elif not state.command("resume"):
        return
    state.expect("play")
    lab.was_running = True
    lab.rate.clear()
    lab.rate.add(lab.trainer.step)


def pause() -> None:
    lab = session()
    if lab.view is not None and state.command("pause"):
        state.expect("pause")
        lab.was_running = False


def step() -> None:
    """Train a few steps (``STEP_STEPS`` at the current speed), then pause; while training, pause
    after that many more."""
    lab = session()
    lab.error = ""
    if not lab.can_play:
        return
    n = STEP_STEPS[lab.speed]
    if lab.view is None and not state.start_run(paused=True, pace=SPEEDS[lab.speed]):
        return
    if state.command("step", n):
        state.expect("step", lab.trainer.step + n)
        lab.was_running = True
        _wait_for_worker(lab)
        _note_state(lab)  # the run this click starts draws the state the worker left (no second run)


def _wait_for_worker(lab) -> None:
    """Give a running worker up to ``STEP_WAIT_S`` to carry out the command, so the page this click
    draws shows the result at once instead of a poll later (a worker still starting takes longer)."""
    deadline = time.monotonic() + STEP_WAIT_S
    while lab.intent is not None and time.monotonic() < deadline:
        time.sleep(0.01)
        try:
            lab.view.refresh()
        except Exception:  # noqa: BLE001 -- a busy database: the live views look again
            return
        state.settle(lab)


def set_speed(label: str) -> None:
    """Take the speed control's value; a run this tab controls gets the new pace at once."""
    session().speed = label
    state.send("pace", SPEEDS[label])


def set_auto_pause(on: bool) -> None:
    """Take "Pause when solved"; a run this tab controls gets it at once."""
    session().auto_pause = on
    state.send("pause_when_solved", on)


def interval(every: float = 1.0) -> float | None:
    """The ``run_every`` for a live fragment: ``every`` x ``INTERVAL`` x the crowd factor while
    training, else None. While a click of this tab's waits for the worker (a Step that starts a new
    worker, a Play), without the crowd factor: the tab that asked sees the answer at once."""
    lab = session()
    if not lab.running:
        return None
    return INTERVAL * every * (1.0 if lab.intent is not None else lab.crowd)


def view(func=None, *, every: float = 1.0, drive: bool = True, idle_every: float | None = None):
    """Decorator: a live fragment that polls the run (:func:`poll`) and draws.

    Apply it inside the page script (each run) so the timer follows Play and Pause. ``every`` slows
    the redraw of heavier views: ``every=3`` reruns at a third of the rate. ``idle_every`` is the
    view's timer while the run is not training (None: none), for a page that animates something of
    its own. A view with ``drive=False`` only redraws what the page's polling views read (give a page
    one light polling view).
    """
    if func is None:
        return functools.partial(view, every=every, drive=drive, idle_every=idle_every)

    @functools.wraps(func)
    def body(*args, **kwargs):
        present.apply_theme()  # a view rerun on its own timer is a run of its own
        if drive:
            poll()
        return func(*args, **kwargs)

    playing = interval(every)
    return st.fragment(body, run_every=idle_every if playing is None else playing)


@contextlib.contextmanager
def page_run(status=None, controls=None):
    """The router's full script run around the page and the status bar (live views inside poll once
    between them, see :func:`poll`).

    ``status``: the container set aside for the status bar (None: the page shows no run);
    ``controls``: the run's buttons for its head. ``ui.status.show_status`` draws it there once per run.
    """
    st.session_state[_VIEWS] = 0
    st.session_state[_RUN] = object()
    st.session_state[STATUS_SLOT] = None if status is None else (status, controls)
    try:
        yield
    finally:
        st.session_state[_RUN] = None  # views rerun on their own timers are runs of their own
        st.session_state[STATUS_SLOT] = None
