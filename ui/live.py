"""Live training: the one tick every live view runs, and the one way to make a live view.

While a tab plays, each live view is an ``st.fragment`` rerun every
``INTERVAL`` seconds (times its ``every``); it trains the session's trainer
for a short time box (``TICK_SECONDS`` times the speed setting), then draws.
Paused, the fragments have no timer (or the page's own, ``idle_every``).

Several live views run in the same full script run (the status bar of every
page and a page's own views); only the first one trains, so one run never
holds the session for more than one time box. A click waits for the run in
progress, so keeping ticks short keeps the page responsive. A view rerun on
its own timer is a run of its own and trains.

At the ``class`` speed a tick trains the steps that are due at ``runs.worker.CLASS_PACE`` steps
per second (none, one, rarely two), so the charts move evenly at a pace a teacher can talk over.

Pages use:

- ``@view()`` / ``@view(every=3, drive=False)`` / ``view(func, idle_every=0.8)()`` -- make a live view
- ``play()``, ``pause()``, ``step()`` -- the controls

The router uses ``with page_run(): ...`` around the page and ``status_bar()`` (or ``background()`` on a
page with a run of its own).
"""

from __future__ import annotations

import contextlib
import functools
import math
import time

import streamlit as st

from runs.worker import CLASS_PACE
from ui import present
from ui.session import session, state_label, track_probe

TICK_SECONDS = 0.1  # training time per tick at speed 1
INTERVAL = 0.1  # seconds between live-view reruns while playing
CLASS = -1.0  # the speed value of "class": paced at CLASS_PACE steps per second, not a time box
SPEEDS = {"class": CLASS, "crawl": 0.02, "slow": 0.25, "normal": 1.0, "fast": 2.0}  # label -> time-box x
MAX_DUE = 3  # at most this many paced steps in one tick (a late tick does not catch up in a burst)
RESTART_AFTER = 1.0  # seconds behind the schedule after which pacing starts afresh (after a pause)
_PACE_CLOCK = "live.pace_clock"  # when the next paced step is due (perf_counter), in session state
_VIEWS = "live.page_views"  # how many page views called advance() in this full run
_RUN = "live.page_run"  # a token set for the length of a full script run by page_run()


def _due() -> int:
    """The paced steps due now at ``CLASS_PACE`` (0 to ``MAX_DUE``); moves the pace clock on."""
    now = time.perf_counter()
    due = st.session_state.get(_PACE_CLOCK)
    if due is None or now - due > RESTART_AFTER:  # a first tick, or one after a pause: start afresh
        due = now
    if now < due:
        return 0
    n = min(MAX_DUE, int((now - due) * CLASS_PACE) + 1)
    st.session_state[_PACE_CLOCK] = due + n / CLASS_PACE
    return n


def _chunk(lab, seconds: float, steps: int | None = None) -> int:
    """Train for about ``seconds`` (or exactly ``steps``); stop playing on trouble. Returns steps taken."""
    tr = lab.trainer
    solved_before = tr.solved_at_step is not None
    track_probe(lab)  # a new series starts where training does
    try:
        if steps is not None:
            n = tr.advance(steps, stop_when_solved=lab.auto_pause)
        else:  # at least one step, about ``seconds`` long; with auto-pause it stops at the step that solves
            n = tr.advance_for(seconds, stop_when_solved=lab.auto_pause)
    except Exception as e:  # noqa: BLE001 -- a model that fails mid-run is reported, never raised
        lab.running = False
        lab.error = f"Training stopped at step {tr.step}: {e}"
        return 0
    track_probe(lab)  # then every couple of seconds, on whichever page trains
    lab.ticks += 1
    lab.last_tick_end = time.perf_counter()
    lab.rate.add(tr.step, lab.last_tick_end)
    if tr.done or (lab.auto_pause and not solved_before and tr.solved_at_step is not None):
        lab.running = False
    return n


def advance() -> int:
    """One live tick: train this session for one time box if playing. Returns steps taken.

    Does nothing when paused, when the trainer is done, or when another live
    view already trained in this full script run (a view rerun on its own
    timer is a run of its own). When training stops by itself
    (budget used, diverged, solved with auto-pause, an error) it reruns the
    whole app so every timer switches off.
    """
    st.session_state[_VIEWS] = st.session_state.get(_VIEWS, 0) + 1
    lab = session()
    if not lab.running:
        return 0
    token = st.session_state.get(_RUN)
    if token is not None:
        if token is lab.tick_token:
            return 0
        lab.tick_token = token
    if lab.trainer.done:
        lab.running = False
        n = 0
    elif lab.speed == CLASS:
        due = _due()
        n = _chunk(lab, 0.0, steps=due) if due else 0
    else:
        n = _chunk(lab, TICK_SECONDS * lab.speed)
    if not lab.running:
        st.rerun()
    return n


def play() -> None:
    """Start ticking (no-op when the run is done)."""
    lab = session()
    lab.error = ""
    if not lab.trainer.done:
        lab.running = True
        lab.rate.clear()
        lab.rate.add(lab.trainer.step)


def pause() -> None:
    lab = session()
    lab.running = False


def step() -> int:
    """Train one time box now (the Step button); pauses first."""
    lab = session()
    lab.running = False
    lab.error = ""
    if lab.trainer.done:
        return 0
    n = _chunk(lab, 0.0, steps=1) if lab.speed == CLASS else _chunk(lab, TICK_SECONDS * lab.speed)
    lab.running = False
    return n


def interval(every: float = 1.0) -> float | None:
    """The ``run_every`` for a live fragment: ``every`` x ``INTERVAL`` while playing, else None."""
    return INTERVAL * every if session().running else None


def view(func=None, *, every: float = 1.0, drive: bool = True, draw_first: bool = False,
         idle_every: float | None = None):
    """Decorator: a live fragment that ticks (:func:`advance`) and draws.

    Apply it inside the page script (each run) so the timer follows Play and
    Pause. ``every`` slows the redraw of heavier views: ``every=3`` reruns at a
    third of the rate. ``idle_every`` is the view's timer while paused (None:
    none), for a page that animates something of its own. A view with
    ``drive=False`` only redraws: training then happens in the page's driving
    views, each of which redraws after every chunk it trains (give a page one
    light driving view).

    By default a driving view trains, then draws what it trained. With
    ``draw_first=True`` it draws, then trains: fresh elements reach the page
    before the chunk runs, so the browser never dims them as stale while it
    waits (they show the state one tick earlier, a tenth of a second).
    """
    if func is None:
        return functools.partial(view, every=every, drive=drive, draw_first=draw_first, idle_every=idle_every)

    @functools.wraps(func)
    def body(*args, **kwargs):
        present.apply_theme()  # a view rerun on its own timer is a run of its own
        if drive and not draw_first:
            advance()
        result = func(*args, **kwargs)
        if drive and draw_first:
            advance()
        return result

    playing = interval(every)
    return st.fragment(body, run_every=idle_every if playing is None else playing)


# --- the run status ------------------------------------------------------------------------------

STATE_ICONS = {"idle": "○", "training": "▶", "paused": "‖", "solved": "✔", "finished": "■", "diverged": "⚠",
               "stalled": "⚠"}


def _fmt(value: float, spec: str) -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, spec)


def status_values(lab) -> dict[str, str]:
    """The status bar's figures as display strings (label -> value)."""
    tr = lab.trainer
    ev = tr.history.evals
    state = state_label(lab)
    return {
        "State": f"{STATE_ICONS[state]} {state}",
        f"Step (of {tr.config.steps:,})": f"{tr.step:,}",
        "Samples seen": f"{tr.samples:,}",
        "Loss": _fmt(tr.history.train.last("loss"), ".4g"),
        "Exact sums": _fmt(100 * ev.last("exact_acc"), ".1f") + ("%" if len(ev) else ""),
        "Steps/s": _fmt(lab.rate.rate, ",.0f") if lab.running else "–",
    }


def _draw_status() -> None:
    lab = session()
    with st.container(border=True, key="status_bar"):
        cols = st.columns(6)
        for col, (label, value) in zip(cols, status_values(lab).items(), strict=True):
            col.metric(label, value)
        tr = lab.trainer
        if lab.error:
            st.error(lab.error, icon=":material/error:")
        if tr.status in ("diverged", "stalled"):
            st.error(tr.message, icon=":material/warning:")
        elif tr.solved_at_step is not None:
            st.success(f"**Solved at step {tr.solved_at_step:,}**: every sum of the evaluation set was "
                       "right.", icon=":material/check_circle:")


@contextlib.contextmanager
def page_run():
    """The router's full script run around the page and the status bar.

    Live views inside train once between them (see :func:`advance`); the
    status bar learns whether the page had live views of its own.
    """
    st.session_state[_VIEWS] = 0
    st.session_state[_RUN] = object()
    try:
        yield
    finally:
        st.session_state[_RUN] = None  # views rerun on their own timers are runs of their own


def status_bar() -> None:
    """The compact run status: a live view on every page.

    The router draws it after the page (into a container placed above it). If
    the page has live views of its own they train and the status bar only
    redraws; otherwise the status bar trains, so training goes on on any page.
    """
    drive = st.session_state.get(_VIEWS, 0) == 0
    view(_draw_status, every=1 if drive else 2, drive=drive, draw_first=True)()


def background() -> None:
    """Keep the session's run training on a page that shows no run status of its own (e.g. XOR).

    An empty live view: it trains while playing and draws nothing.
    """
    if st.session_state.get(_VIEWS, 0) == 0:
        view(lambda: None)()
