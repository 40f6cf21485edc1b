"""Per-session state: the trainer being watched and how it is being run.

Everything a user trains lives in ``st.session_state`` under one key, set up
by :func:`session` (the only place that creates it). A trainable model is
never put in a global cache: that object would be shared by every visitor.

Pages use:

- ``lab = session()`` -- the :class:`Lab` of this browser tab
- ``reset(config, model=None)`` -- a fresh trainer (optionally around given weights)
- ``apply(config)`` -- take the learning rate and step budget live; list what needs a reset
- ``state_label(lab)`` -- idle / training / paused / solved / finished / diverged / stalled
- ``track_probe(lab)`` -- the carry probe's accuracy against training step (the live tick feeds it)
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections import deque
from dataclasses import dataclass, field

import streamlit as st
from threadpoolctl import threadpool_limits

from engine import Config, SequenceModel, Trainer, schema
from engine.analysis.probe import ProbeTracker
from ui import link as query

# The engine's matrices are tiny, so BLAS threads only add hand-off overhead
# (training in the app ran 7x slower with two). The engine asks for one thread
# through OPENBLAS_NUM_THREADS, which is too late when NumPy was loaded before
# it, so limit the loaded library directly (once per process; a user's own
# setting wins).
if os.environ.get("OPENBLAS_NUM_THREADS", "1") == "1":
    threadpool_limits(limits=1, user_api="blas")

KEY = "lab"
LIVE_FIELDS = schema.LIVE  # fields that change on the running trainer without a reset (lr, steps)
PROBE_EVERY_S = 2.0  # wall time between carry-probe measurements while training
PROBE_SHARE = 0.05  # ... or longer, so a slow probe (a wide model) takes at most this share of the time


class RateMeter:
    """Training steps per second over the last few seconds of wall time."""

    def __init__(self, window: float = 3.0):
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, step: int, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        self.samples.append((now, step))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.window:
            self.samples.popleft()

    def clear(self) -> None:
        self.samples.clear()

    @property
    def rate(self) -> float:
        """Steps per second, or 0.0 before two measurements."""
        if len(self.samples) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self.samples[0], self.samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0


@dataclass
class Lab:
    """One tab's training session.

    Attributes
    ----------
    trainer : the :class:`engine.Trainer` being watched (its model changes in place)
    config : what the widgets describe; differs from ``trainer.config`` until a reset
        (after a reset from anywhere, e.g. around loaded weights, the widgets show it)
    running : whether live views tick (Play) or not (Pause)
    speed : training time per tick as a multiple of ``ui.live.TICK_SECONDS``
    auto_pause : pause by itself the first time every evaluation sum is right
    error : the latest problem building or training a model, for a person ("" when none)
    link_warnings : what was wrong with the link this tab was opened with
    rate : measured steps per second while running
    ticks : training chunks run so far (a counter for tests and benchmarks)
    """

    trainer: Trainer
    config: Config
    running: bool = False
    speed: float = 1.0
    auto_pause: bool = True
    error: str = ""
    link_warnings: list[str] = field(default_factory=list)
    rate: RateMeter = field(default_factory=RateMeter)
    ticks: int = 0
    resets: int = 0  # counts reset(); the widgets take lab.config again after one
    last_tick_end: float = 0.0
    tick_token: object = None  # identifies the script run of the latest chunk (see ui.live)
    probe: ProbeTracker = field(default_factory=ProbeTracker)  # carry-probe accuracy against step
    probe_of: Trainer | None = None  # the trainer ``probe`` follows (a reset starts a new series)
    probe_at: float = -math.inf  # wall time of its latest measurement
    probe_cost: float = 0.0  # seconds that measurement took


def _build(config: Config, model: SequenceModel | None = None) -> tuple[Trainer | None, str]:
    """A trainer for ``config``, or None and why not (settings it cannot take, weights that do not fit)."""
    try:
        return Trainer(config, model=model), ""
    except Exception as e:  # noqa: BLE001 -- any failure to build is shown to the user, never raised
        return None, f"Could not build a {config.cell.upper()} model with these settings: {e}"


def session() -> Lab:
    """This tab's :class:`Lab`, created on first use from the link's configuration."""
    lab = st.session_state.get(KEY)
    if lab is None:
        config, warnings = query.read()
        trainer, error = _build(config)
        if trainer is None:
            trainer, _ = _build(query.DEFAULT)
            warnings = [*warnings, f"{error}. Started with the default settings instead."]
            config = query.DEFAULT
        lab = Lab(trainer=trainer, config=config, link_warnings=warnings)
        st.session_state[KEY] = lab
    return lab


def reset(config: Config, model: SequenceModel | None = None) -> bool:
    """Replace the trainer with a fresh one for ``config`` (around ``model``'s weights if given).

    Training pauses. When the model cannot be built, the current trainer is kept,
    ``lab.error`` says why, and False is returned.
    """
    lab = session()
    lab.running = False
    trainer, error = _build(config, model)
    lab.error = error
    if trainer is None:
        return False
    lab.trainer = trainer
    lab.config = config
    lab.resets += 1
    lab.rate.clear()
    return True


def pending_changes(lab: Lab) -> list[str]:
    """Fields where the widgets differ from the running trainer and need a reset to apply."""
    current, wanted = lab.trainer.config, lab.config
    return [name for name in query.FIELDS
            if name not in LIVE_FIELDS and getattr(current, name) != getattr(wanted, name)]


def apply(config: Config) -> list[str]:
    """Adopt ``config`` as what the widgets show; apply the live fields to the running trainer.

    The learning rate changes at once (the model, optimizer state and history
    are kept); so does the step budget. Other changes rebuild a model that has
    not trained yet (nothing is lost); a trained one is kept until the user
    resets. Returns the fields that still need a reset (architecture, batch,
    optimizer, ...).
    """
    lab = session()
    changed = config != lab.config
    lab.config = config
    tr = lab.trainer
    if tr.config.lr != config.lr:
        tr.set_lr(config.lr)
    if tr.config.steps != config.steps:
        tr.set_steps(config.steps)
    pending = pending_changes(lab)
    if pending and changed and tr.step == 0 and not lab.running and reset(config):
        return []
    return pending


def state_label(lab: Lab) -> str:
    """A one-word state for people: idle, training, paused, solved, finished, diverged or stalled."""
    tr = lab.trainer
    if tr.status in ("diverged", "stalled"):
        return tr.status
    if lab.running:
        return "training"
    if tr.solved_at_step is not None and (tr.done or lab.auto_pause):
        return "solved"
    if tr.done:
        return "finished"
    return "idle" if tr.step == 0 else "paused"


def track_probe(lab: Lab, force: bool = False) -> ProbeTracker:
    """The carry probe's held-out accuracy against training step for ``lab``'s trainer.

    Measures the current step when ``force`` is set, when the series has fewer
    than two points (so a curve shows from the first chunk on) or when the last
    measurement is old enough (``PROBE_EVERY_S``, longer for a slow probe); a
    step already measured costs nothing. The live tick calls this on every page, so the
    series follows training wherever it runs. A probe that fails leaves the
    series as it was: it must never stop training. A diverged run gets no more points.
    """
    tr = lab.trainer
    if lab.probe_of is not tr:
        lab.probe, lab.probe_of, lab.probe_at, lab.probe_cost = ProbeTracker(), tr, -math.inf, 0.0
    now = time.perf_counter()
    due = len(lab.probe) < 2 or now - lab.probe_at >= max(PROBE_EVERY_S, lab.probe_cost / PROBE_SHARE)
    if (force or due) and tr.status != "diverged":  # blown-up weights have no carry to read
        try:
            with warnings.catch_warnings():  # overflowing states on the way to divergence
                warnings.simplefilter("ignore", RuntimeWarning)
                lab.probe.update(tr.model, tr.step)
        except Exception:  # noqa: BLE001,S110 -- the curve only misses a point
            pass
        lab.probe_at = time.perf_counter()
        lab.probe_cost = lab.probe_at - now
    return lab.probe
