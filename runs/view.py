"""A page's window on a stored run: the parts of a trainer a view reads, kept fresh from the store.

A page that observes a run (instead of training in its script thread) holds a
:class:`RunView` and calls :meth:`RunView.refresh` on each poll; the view reads
only what is new (history rows after the last step it has, the weights only
when a newer snapshot exists), so polling a long run stays cheap. It offers
the attributes the pages' figures read from an :class:`engine.train.Trainer`
(``config``, ``step``, ``samples``, ``history``, ``model``, ``solved_at_step``,
``message``, ``done``) plus the run's ``state``. It never trains and never
writes.
"""

from __future__ import annotations

from engine import checkpoint
from engine.config import Config
from engine.history import History
from engine.model import SequenceModel
from runs.store import Store

FINAL = ("finished", "diverged", "stalled", "failed")


class RunView:
    """Read-only, trainer-shaped view of run ``run_id`` in ``store``.

    Attributes
    ----------
    run : the run's row as :meth:`Store.read_run` gives it (None if the run was deleted; then the
        other attributes keep what was last read)
    state : the run's state (``runs.store.STATES``)
    config : its :class:`Config` (the learning rate and budget follow commands)
    step, samples, solved_at_step, message : as the worker last recorded them
    history : a :class:`History` of every recorded row
    model : the latest weights snapshot; before the worker's first one, the ``model`` given (the
        weights the run starts from) or None
    snapshot_step : the step of those weights (may trail ``step`` by up to half a second)
    """

    def __init__(self, store: Store, run_id: str, model: SequenceModel | None = None):
        self.store, self.run_id = store, run_id
        self.run: dict | None = None
        self._known: dict | None = None  # the latest row read (kept when the run is deleted)
        self.history = History()
        self.model: SequenceModel | None = model  # until the first snapshot (the weights it starts from)
        self.snapshot_step = -1 if model is None else 0
        self.refresh()

    def refresh(self) -> bool:
        """Read what is new; returns whether anything changed."""
        run = self.store.read_run(self.run_id)
        if run is None:
            changed, self.run = self.run is not None, None
            return changed
        self._known = run
        went_back = self.run is not None and run["step"] < self.run["step"]  # resumed from a checkpoint
        changed = run != self.run
        if went_back:
            self.history, self.snapshot_step = History(), -1
        self.run = run
        since = int(self.history.train.last("step", -1)) if len(self.history.train) else -1
        if since < 0 and len(self.history.evals):
            since = int(self.history.evals.last("step"))
        new = self.store.history(self.run_id, since=since)
        for kind, table in (("train", self.history.train), ("evals", self.history.evals)):
            if len(new[kind]["step"]):
                table.extend(**new[kind])
                changed = True
        newest = self.store.snapshot_step(self.run_id)
        if newest is not None and newest != self.snapshot_step:  # read the weights only when newer
            found = self.store.snapshot_bytes(self.run_id)
            if found is not None:
                self.snapshot_step, self.model = found[0], checkpoint.load(found[1])
                changed = True
        return changed

    # --- what the figures read from a trainer -----------------------------------

    @property
    def state(self) -> str | None:
        return self.run["state"] if self.run else None

    @property
    def config(self) -> Config:
        return Config.from_dict(self._known["config"])

    @property
    def step(self) -> int:
        return self._known["step"] if self._known else 0

    @property
    def samples(self) -> int:
        return self._known["samples"] if self._known else 0

    @property
    def solved_at_step(self) -> int | None:
        return self._known["solved_at"] if self._known else None

    @property
    def message(self) -> str:
        return self.run["message"] if self.run else "This run was deleted."

    @property
    def status(self) -> str | None:
        """The run's state (a trainer's ``status`` for the pages: finished, diverged, stalled, ...)."""
        return self.state

    @property
    def last_dh_norm(self) -> None:
        """A worker does not store per-step gradient norms by time step; pages measure them on ``model``."""
        return None

    @property
    def done(self) -> bool:
        return self.run is None or self.run["state"] in FINAL
