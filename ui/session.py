"""Per-session state: the run this browser tab shows, and the commands it sends to it.

The script thread never trains. Before the first Play or Step a tab holds a *draft*: a fresh,
untrained :class:`engine.Trainer` of the widgets' settings (step 0, so the pages can analyse its
weights), never advanced here. Play or Step records it as a run in the run store and a worker
process trains it (:mod:`runs.service`); from then on ``lab.trainer`` is a :class:`runs.view.RunView`
of that run, refreshed by the live views' polls (:mod:`ui.live`). Either way it is trainer-shaped,
so the pages read ``config``, ``step``, ``history``, ``model``, ... without knowing which.

The link carries the run: ``?run=ID&key=KEY``. A refresh reattaches to the same run, and so does a
server restart (the run is in the store). Without the right key the tab only watches: it can train
a copy, never pause, reset or change the run. The Copy-link box leaves the key out.

Pages use:

- ``lab = session()`` -- the :class:`Lab` of this browser tab
- ``reset(config, model=None)`` -- a fresh draft (optionally around given weights); the run is left
- ``apply(config)`` -- take the learning rate and step budget live; list what needs a reset
- ``state_label(lab)`` -- idle / queued / training / paused / solved / finished / diverged / ...
- ``track_probe(lab)`` -- the carry probe's accuracy against training step (the live poll feeds it)
- ``weights_step(lab.trainer)`` -- the step of the weights the pages analyse

The router keeps the link and the tab's run together with :mod:`ui.run_link`; the tab's state
itself is a :class:`ui.lab.Lab`.
"""

from __future__ import annotations

import math
import os
import time
import warnings

import streamlit as st
from threadpoolctl import threadpool_limits

from engine import Config, SequenceModel, Trainer, schema
from engine.analysis.probe import ProbeTracker
from runs.service import RunError, RunService
from runs.view import RunView
from ui import link as query
from ui.lab import ACTIVE, SETTLE_S, Lab

# The engine's matrices are tiny, so BLAS threads only add hand-off overhead. The engine asks for
# one thread through OPENBLAS_NUM_THREADS, which is too late when NumPy was loaded before it, so
# limit the loaded library directly (once per process; a user's own setting wins).
if os.environ.get("OPENBLAS_NUM_THREADS", "1") == "1":
    threadpool_limits(limits=1, user_api="blas")

KEY = "lab"
LIVE_FIELDS = schema.LIVE  # fields that change on the running trainer without a reset (lr, steps)
PROBE_EVERY_S = 2.0  # wall time between carry-probe measurements while training
PROBE_SHARE = 0.05  # ... or longer, so a slow probe (a wide model) takes at most this share of the time


def weights_step(tr: Trainer | RunView) -> int:
    """The training step of ``tr.model``: a run's latest stored weights may trail its history a little."""
    return max(tr.snapshot_step, 0) if isinstance(tr, RunView) else tr.step


def service() -> RunService:
    """The server's run service (one per process and data folder)."""
    return RunService.get()


def _build(config: Config, model: SequenceModel | None = None) -> tuple[Trainer | None, str]:
    """A draft trainer for ``config``, or None and why not (settings it cannot take, weights that misfit)."""
    try:
        return Trainer(config, model=model), ""
    except Exception as e:  # noqa: BLE001 -- any failure to build is shown to the user, never raised
        return None, f"Could not build a {config.cell.upper()} model with these settings: {e}"


def session() -> Lab:
    """This tab's :class:`Lab`, created on first use from the link's configuration."""
    lab = st.session_state.get(KEY)
    if lab is None:
        config, warned = query.read()
        trainer, error = _build(config)
        if trainer is None:
            trainer, _ = _build(query.DEFAULT)
            warned = [*warned, f"{error}. Started with the default settings instead."]
            config = query.DEFAULT
        lab = Lab(config=config, draft=trainer, link_warnings=warned)
        st.session_state[KEY] = lab
    return lab


# --- the run this tab shows ------------------------------------------------------------------------


def _leave(lab: Lab) -> None:
    """Before showing something else: pause this tab's training run (it stays in the store, on the
    Runs page) or delete it if it never took a step. A run this tab only watches is left as it is."""
    if lab.view is None or lab.key is None:
        return
    try:
        if lab.view.step == 0 and lab.view.state in ("queued", "paused"):
            service().delete(lab.run_id, lab.key)
        elif lab.view.state in ACTIVE:
            service().command(lab.run_id, lab.key, "pause")
    except RunError:
        pass  # deleted or taken over elsewhere: nothing left to do


def _show_run(lab: Lab, run_id: str, key: str | None, model: SequenceModel | None = None,
              fresh: bool = True) -> None:
    """Show run ``run_id`` (``fresh``: another model than the one shown, so the widgets and charts start
    over; not so for the draft becoming its own run)."""
    lab.run_id, lab.key, lab.draft, lab.start_model = run_id, key, None, None
    lab.view = RunView(service().store, run_id, model=model)
    if lab.view.model is None and lab.view.run is not None:  # a run that never reached its worker
        lab.view.model = Trainer(lab.view.config).model  # the weights it will start from (same seed)
    lab.config = lab.view.config if lab.view.run is not None else lab.config
    lab.intent, lab.sent, lab.error = None, {}, ""
    lab.resets += fresh
    lab.rate.clear()


def start_run(paused: bool = False, pace: float = 0.0) -> bool:
    """Record the draft as a run and hand it to a worker (paused: waiting for a Step)."""
    lab = session()
    tr = lab.draft
    if tr is None:
        return True
    try:
        run_id, key = service().start(tr.config, origin="upload" if lab.start_model is not None else "train",
                                      owner=lab.owner, pause_when_solved=lab.auto_pause, paused=paused,
                                      model=lab.start_model, pace=pace)
    except RunError as e:
        lab.error = f"Could not start the run: {e}"
        return False
    _show_run(lab, run_id, key, model=tr.model, fresh=False)
    lab.sent = {"pace": pace, "pause_when_solved": lab.auto_pause}
    return True


def command(kind: str, value: float | None = None) -> bool:
    """Send a command to this tab's run; a refusal becomes ``lab.error``. Returns whether it was sent."""
    lab = session()
    if lab.view is None or lab.key is None:
        return False
    try:
        service().command(lab.run_id, lab.key, kind, value)
    except RunError as e:
        lab.error = f"{e}."
        return False
    return True


def expect(intent: str | None, step: int = 0) -> None:
    """Let the page show ``intent`` (play, pause, step to ``step``) until the store shows it done."""
    lab = session()
    lab.intent, lab.intent_at, lab.intent_step = intent, time.monotonic(), step
    lab.intent_from = (lab.view.state, lab.view.step) if lab.view is not None else (None, 0)


def settle(lab: Lab) -> None:
    """Forget the latest command once the store shows it carried out (or after ``SETTLE_S``)."""
    view = lab.view
    if lab.intent is None or view is None:
        return
    state, (before, at) = view.state, lab.intent_from
    moved = view.step > at or state != before  # the worker has taken the command
    done = {"play": state in ACTIVE or moved,
            "pause": state not in ACTIVE,
            "step": state not in ACTIVE and (view.step >= lab.intent_step or moved and state != "paused")
            }[lab.intent]
    if done or state is None or view.done or time.monotonic() - lab.intent_at > SETTLE_S:
        lab.intent = None


def train_copy() -> None:
    """Train a copy of the watched run as this tab's own (from its latest checkpoint)."""
    lab = session()
    if lab.view is None or lab.key is not None:
        return
    try:
        run_id, key = service().start(lab.view.config, origin="train", owner=lab.owner, copy_of=lab.run_id,
                                      pause_when_solved=lab.auto_pause, paused=True)
    except RunError as e:
        lab.error = f"Could not copy the run: {e}"
        return
    model = lab.view.model
    _show_run(lab, run_id, key, model=model)


def reset(config: Config, model: SequenceModel | None = None) -> bool:
    """A fresh draft for ``config`` (around ``model``'s weights if given) in place of what the tab shows.

    This tab's run is paused (or deleted if it never trained), never lost. When the model cannot be
    built, what the tab shows is kept, ``lab.error`` says why, and False is returned.
    """
    lab = session()
    trainer, error = _build(config, model)
    lab.error = error
    if trainer is None:
        return False
    _leave(lab)
    lab.draft, lab.start_model = trainer, model
    lab.view = lab.run_id = lab.key = None
    lab.config, lab.intent, lab.sent = config, None, {}
    lab.resets += 1
    lab.rate.clear()
    return True


def pending_changes(lab: Lab) -> list[str]:
    """Fields where the widgets differ from the shown trainer and need a reset to apply (every field
    when the tab only watches the run)."""
    current, wanted = lab.trainer.config, lab.config
    live = LIVE_FIELDS if lab.owned else ()
    return [name for name in query.FIELDS
            if name not in live and getattr(current, name) != getattr(wanted, name)]


def send(kind: str, value) -> None:
    """Send a setting command (``lr``, ``steps``, ``pace``, ``pause_when_solved``) to this tab's run
    unless that value was the last one sent; a run this tab does not control gets nothing."""
    lab = session()
    if lab.view is not None and lab.key is not None and lab.sent.get(kind) != value and command(kind, value):
        lab.sent[kind] = value


def _send_live(lab: Lab, config: Config) -> None:
    """Send the learning rate and step budget to the run when they differ from the run's."""
    for name in LIVE_FIELDS:
        value = getattr(config, name)
        if value != getattr(lab.trainer.config, name):
            send(name, value)


def apply(config: Config) -> list[str]:
    """Adopt ``config`` as what the widgets show; apply the live fields to the run at once.

    The learning rate and the step budget change at once (a command to the worker; the model,
    optimizer state and history are kept). Other changes rebuild a model that has not trained yet
    (nothing is lost); a run that has trained is kept until the user resets. Returns the fields that
    still need a reset (architecture, batch, optimizer, ...).
    """
    lab = session()
    changed = config != lab.config
    lab.config = config
    if lab.view is None:
        tr = lab.draft
        if tr.config.lr != config.lr:
            tr.set_lr(config.lr)
        if tr.config.steps != config.steps:
            tr.set_steps(config.steps)
    elif lab.owned:
        _send_live(lab, config)
    pending = pending_changes(lab)
    if pending and changed and lab.owned and lab.trainer.step == 0 and not lab.running and reset(config):
        return []
    return pending


def state_label(lab: Lab) -> str:
    """A one-word state for people: idle, queued, training, paused, solved, finished, diverged, stalled,
    failed, interrupted or deleted."""
    view = lab.view
    if view is None:
        return "idle"
    state = view.state
    if state is None:
        return "deleted"
    if lab.intent is not None and time.monotonic() - lab.intent_at < SETTLE_S:  # what was asked, at once
        if lab.intent == "pause" and state in ACTIVE:
            return "paused"
        if lab.intent != "pause" and state not in ACTIVE:
            return "training"
    if view.solved_at_step is not None and (state == "finished" or state == "paused" and lab.auto_pause):
        return "solved"
    if state == "paused" and view.step == 0:
        return "idle"
    return state


def track_probe(lab: Lab, force: bool = False) -> ProbeTracker:
    """The carry probe's held-out accuracy against training step for what ``lab`` shows.

    Measures the latest weights when ``force`` is set, when the series has fewer than two points (so
    a curve shows from the start) or when the last measurement is old enough (``PROBE_EVERY_S``, longer
    for a slow probe); weights already measured cost nothing. The live poll calls this on every page,
    so the series follows training wherever the tab is. A probe that fails leaves the series as it
    was. A diverged run gets no more points.
    """
    tr = lab.trainer
    if lab.probe_of is not tr:
        lab.probe, lab.probe_of, lab.probe_at, lab.probe_cost = ProbeTracker(), tr, -math.inf, 0.0
    now = time.perf_counter()
    every = max(PROBE_EVERY_S * lab.crowd, lab.probe_cost / PROBE_SHARE)  # rarer when many pages poll
    due = len(lab.probe) < 2 or now - lab.probe_at >= every
    step = weights_step(tr)
    if (force or due) and tr.status != "diverged" and tr.model is not None:
        try:
            with warnings.catch_warnings():  # overflowing states on the way to divergence
                warnings.simplefilter("ignore", RuntimeWarning)
                lab.probe.update(tr.model, step)
        except Exception:  # noqa: BLE001,S110 -- the curve only misses a point
            pass
        lab.probe_at = time.perf_counter()
        lab.probe_cost = lab.probe_at - now
    return lab.probe
