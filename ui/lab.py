"""What one browser tab holds: the :class:`Lab` (its draft or run, its controls' state) and a rate meter.

:mod:`ui.session` creates and changes it; the pages read it through ``session()``.
"""

from __future__ import annotations

import math
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from engine import Config, SequenceModel, Trainer
from engine.analysis.probe import ProbeTracker
from runs.view import RunView

SETTLE_S = 5.0  # a command not seen in the store after this long no longer decides what the page shows
ACTIVE = ("queued", "training")


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
    config : what the widgets describe; differs from ``trainer.config`` until a reset
    draft : the untrained trainer shown before the first Play or Step (None once there is a run)
    run_id, key : the run shown, and its control key (None: this tab only watches the run)
    view : the run's :class:`RunView` (None before the first Play or Step)
    owner : who the run service counts this tab's runs against (one training run each)
    start_model : weights the next run starts from (a loaded model), or None for fresh ones
    speed : the speed control's label (``ui.live.SPEEDS``)
    auto_pause : pause by itself the first time every evaluation sum is right
    intent : the latest command ("play", "pause", "step") until the store shows it was carried out
    error : the latest problem starting or commanding a run, for a person ("" when none)
    link_warnings : what was wrong with the link this tab was opened with
    rate : measured steps per second while running
    """

    config: Config
    draft: Trainer | None = None
    run_id: str | None = None
    key: str | None = None
    view: RunView | None = None
    owner: str = field(default_factory=lambda: secrets.token_hex(8))
    start_model: SequenceModel | None = None
    speed: str = "full"
    auto_pause: bool = True
    intent: str | None = None
    intent_at: float = 0.0
    intent_step: int = 0  # the step the latest Step command trains to
    intent_from: tuple = (None, 0)  # the run's (state, step) when the latest command was sent
    sent: dict = field(default_factory=dict)  # the live settings last sent to the run (lr, steps, pace, ...)
    linked: str | None = None  # the run id the link named when this tab last looked at it
    error: str = ""
    link_warnings: list[str] = field(default_factory=list)
    rate: RateMeter = field(default_factory=RateMeter)
    polls: int = 0  # looks at the store so far (a counter for tests and benchmarks)
    resets: int = 0  # counts resets and attaches; the widgets take lab.config again after one
    was_running: bool = False  # whether the latest poll found the run training (see ui.live)
    seen: tuple = ()  # (run id, state) at the latest poll (see ui.live)
    crowd: float = 1.0  # how much slower than usual the live views poll (ui.live.crowd)
    poll_token: object = None  # identifies the script run of the latest poll (see ui.live)
    probe: ProbeTracker = field(default_factory=ProbeTracker)  # carry-probe accuracy against step
    probe_of: object = None  # the trainer or run view ``probe`` follows (a reset starts a new series)
    probe_at: float = -math.inf  # wall time of its latest measurement
    probe_cost: float = 0.0  # seconds that measurement took

    @property
    def trainer(self) -> Trainer | RunView:
        """What the pages read: the run's view, or the draft before there is a run."""
        return self.view if self.view is not None else self.draft

    @property
    def revision(self) -> str:
        """Names what the charts show: the same while one model trains (zoom and pan survive its updates),
        new after a reset or another run."""
        return f"lab{self.resets}"

    @property
    def owned(self) -> bool:
        """Whether this tab may command what it shows (a draft, or a run whose key it holds)."""
        return self.view is None or self.key is not None

    @property
    def running(self) -> bool:
        """Whether the run trains (or is about to, or waits for a slot): the live views poll meanwhile."""
        if self.view is None:
            return False
        if self.intent is not None and time.monotonic() - self.intent_at < SETTLE_S:
            return self.intent != "pause"
        return self.view.state in ACTIVE

    @property
    def can_play(self) -> bool:
        """Whether Play (or Step) would train: not a deleted run, nor one that ended for good."""
        if not self.owned or self.view is None:
            return self.owned
        state = self.view.state
        if state is None or state in ("diverged", "stalled", "failed"):
            return False
        return state != "finished" or self.view.step < self.config.steps
