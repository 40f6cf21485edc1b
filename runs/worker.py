"""A worker: one process that trains one run and reports through the store.

Loop: take commands -> advance a time-boxed chunk (~50 ms) -> append the new
history rows -> publish a weights snapshot (about twice a second) ->
checkpoint the whole training state (every few seconds and on pause, stop and
the end of the run). A paced run (the ``pace`` command, steps per second)
trains single steps (or small groups at high paces) spread evenly in time,
taking commands while it waits, so charts move smoothly and pause stays
immediate. A worker started by the run service checks each turn
that its parent is still there and, if not, checkpoints, marks the run
interrupted and exits. Runs at a lower OS priority than the server (:data:`PRIORITIES`).
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import sys
import time
import traceback

from engine import checkpoint, train_state
from engine.config import Config
from engine.history import History
from engine.model import SequenceModel
from engine.train import DIVERGED, STALLED, Trainer
from runs import priority
from runs.store import INTERRUPTED, Store

CHUNK = 0.05  # seconds of training between looks at the command queue
SNAPSHOT_EVERY = 0.5  # seconds between weights snapshots
CHECKPOINT_EVERY = 3.0  # seconds between checkpoints (at most this much training is lost to a kill)
IDLE_POLL = 0.05  # seconds between looks at the command queue while paused
HEARTBEAT_EVERY = 1.0  # a paused worker still says it is alive this often
IDLE_EXIT = 120.0  # a worker paused this long exits (the run stays paused, resumable)
# The worker's priority, below the server's (``runs.priority``), lower the longer it trains without a
# break: (seconds of training, nice value added to the server's). A new run (a visitor's Step or Play)
# starts and answers almost at the server's priority; a long one gives way to everything else.
PRIORITIES = ((0.0, 1), (1.0, 10), (5.0, priority.LOWEST))
COMMANDS = ("pause", "resume", "step", "lr", "steps", "pause_when_solved", "pace", "stop")
UNWATCHED = ("Paused because no page was watching it for two minutes (its tab was closed); Play "
             "trains on from here.")  # the message of a "pause" command with value 1
CLASS_PACE = 6.0  # steps per second of the "class" speed: the default preset solves (step ~160) in ~27 s
PACE_GROUP = 0.02  # seconds of steps (at the pace) trained together, so high paces need no 1 ms sleeps


class Worker:
    """Trains ``run_id`` from its checkpoint (or from scratch) in this process."""

    def __init__(self, store: Store, run_id: str, parent_pid: int | None = None, paused: bool = False,
                 idle_exit: float = IDLE_EXIT, checkpoint_every: float = CHECKPOINT_EVERY):
        self.store, self.run_id, self.parent_pid, self.idle_exit = store, run_id, parent_pid, idle_exit
        self.checkpoint_every = checkpoint_every
        run = store.read_run(run_id)
        config = Config.from_dict(run["config"])
        found = store.checkpoint(run_id)
        if found is not None:
            step, data = found
            store.truncate_history(run_id, step)  # rows written after the checkpoint are redone
            cols = store.history(run_id)
            history = History()
            for kind, table in (("train", history.train), ("evals", history.evals)):
                table.extend(**cols[kind])
            self.trainer = train_state.restore(data, history=history)
            self.written = (len(history.train), len(history.evals))
        else:  # a new run, from given weights (a loaded model) or fresh ones
            snap = store.snapshot(run_id)
            model = None if snap is None else SequenceModel(config, params=snap.params)
            self.trainer = Trainer(config, model=model)
            self.written = (0, 0)
        tr = self.trainer
        if run["lr"] is not None and run["lr"] != tr.config.lr:  # changed while no worker ran
            tr.set_lr(run["lr"])
        if config.steps != tr.config.steps:
            tr.set_steps(config.steps)
        self.pause_when_solved = run["pause_when_solved"]
        self.state = "paused" if paused else "training"
        self.step_target: int | None = None  # set by "step N": pause when reached
        self.pace: float | None = None  # steps per second (None: as fast as possible)
        self.next_due = 0.0  # monotonic time the next paced group may start
        self.paced = collections.deque(maxlen=4096)  # (monotonic start, steps) of recent paced groups
        self.last_snapshot = self.last_checkpoint = self.last_beat = 0.0
        self.idle_since = time.monotonic()
        self.training_since: float | None = None  # when the current stretch of training began
        self.stage = 0  # the stage of PRIORITIES this worker has reached (a worker process starts at 0)
        self._record(state=self.state, started=run["started"] or time.time(), message="",
                     snapshot=True, checkpoint=found is None)

    # --- reporting ----------------------------------------------------------

    def _record(self, snapshot: bool = False, checkpoint: bool = False, **fields) -> None:
        tr, now = self.trainer, time.monotonic()
        nt, ne = self.written
        train, evals = _rows_after(tr.history.train, nt), _rows_after(tr.history.evals, ne)
        exact = tr.history.evals["exact_acc"]
        fields.update(step=tr.step, samples=tr.samples, lr=tr.config.lr, solved_at=tr.solved_at_step,
                      best_exact=float(exact.max()) if len(exact) else None, heartbeat=time.time(),
                      config=tr.config.to_json())
        snap = (tr.step, _model_bytes(tr)) if snapshot else None
        ckpt = (tr.step, train_state.capture(tr, history=False)) if checkpoint else None
        self.store.record(self.run_id, train=train, evals=evals, snapshot=snap, checkpoint=ckpt, **fields)
        self.written = (len(tr.history.train), len(tr.history.evals))
        self.last_beat = now
        if snapshot:
            self.last_snapshot = now
        if checkpoint:
            self.last_checkpoint = now

    def _set_state(self, state: str, message: str = "", final: bool = False) -> None:
        self.state = state
        extra = {"ended": time.time()} if final else {}
        self._record(state=state, message=message, snapshot=True, checkpoint=True, **extra)
        self.idle_since = time.monotonic()

    # --- commands -----------------------------------------------------------

    def apply(self, kind: str, value) -> bool:
        """Carry out one command; returns False when the worker should exit."""
        tr = self.trainer
        if kind == "pause" and self.state == "training":
            self.step_target = None
            self._set_state("paused", UNWATCHED if value == 1.0 else "")
        elif kind == "resume" and self.state in ("paused", "solved") and not tr.done:
            self.step_target = None
            self._set_state("training")
        elif kind == "step" and not tr.done:
            self.step_target = tr.step + max(1, int(value or 1))
            self.state = "training"
            self._record(state="training")
        elif kind == "lr":
            tr.set_lr(float(value))
            self._record()
        elif kind == "steps":
            tr.set_steps(int(value))
            if tr.done and self.state == "training":
                return self._finish()
            self._record()
        elif kind == "pace":
            pace = float(value or 0)
            self.pace = pace if math.isfinite(pace) and pace > 0 else None
            self.next_due = 0.0
        elif kind == "pause_when_solved":
            self.pause_when_solved = bool(value)
            self._record(pause_when_solved=int(self.pause_when_solved))
        elif kind == "release":  # the server is gone or closing: keep the run resumable and exit
            if self.state == "training":
                self._set_state("interrupted", INTERRUPTED)
            return False
        elif kind == "stop":
            self._set_state("finished", f"Stopped at step {tr.step:,}.", final=True)
            return False
        return True

    def _finish(self) -> bool:
        tr = self.trainer
        if tr.status in (DIVERGED, STALLED):  # the trainer's message says why and what to try
            self._set_state(tr.status, tr.message, final=True)
        else:
            self._set_state("finished", f"Used the budget of {tr.config.steps:,} steps.", final=True)
        return False

    # --- the loop -----------------------------------------------------------

    def parent_gone(self) -> bool:
        return self.parent_pid is not None and os.getppid() != self.parent_pid

    def turn(self) -> bool:
        """One turn of the loop; returns False when the worker should exit."""
        if self.parent_gone():
            return self.apply("release", None)
        for kind, value in self.store.take_commands(self.run_id):
            if not self.apply(kind, value):
                return False
        tr, now = self.trainer, time.monotonic()
        if self.state != "training":
            self.training_since = None
            if now - self.idle_since > self.idle_exit:
                return False
            if now - self.last_beat > HEARTBEAT_EVERY:
                self._record()
            time.sleep(IDLE_POLL)
            return True
        self._lower_priority(now)
        limit = None if self.step_target is None else self.step_target - tr.step
        if self.pace is None:
            tr.advance_for(CHUNK, max_steps=limit, stop_when_solved=self.pause_when_solved)
        elif not self._paced_group(now, limit):
            return True
        if tr.done:
            return self._finish()
        if self.pause_when_solved and tr.solved_at_step == tr.step:
            self._set_state("solved", f"Every evaluation sum was right at step {tr.step:,}.")
        elif self.step_target is not None and tr.step >= self.step_target:
            self.step_target = None
            self._set_state("paused")
        else:
            self._record(snapshot=now - self.last_snapshot >= SNAPSHOT_EVERY,
                         checkpoint=now - self.last_checkpoint >= self.checkpoint_every)
        return True

    def _lower_priority(self, now: float) -> None:
        """Follow :data:`PRIORITIES` by the seconds of training without a break: on a server full of
        long runs, a new run (a visitor's Step) starts and answers first. The priority never rises
        again (that would need privileges)."""
        if self.training_since is None:
            self.training_since = now
        base = priority.base()
        if base is None:  # not a worker process (a test's, a command line's): keep the priority
            return
        while self.stage + 1 < len(PRIORITIES) and now - self.training_since >= PRIORITIES[self.stage + 1][0]:
            self.stage += 1
            priority.lower(base + PRIORITIES[self.stage][1])

    def _paced_group(self, now: float, limit: int | None) -> bool:
        """Train the next group of steps if it is due; otherwise wait a little (at most ``IDLE_POLL``,
        so commands are taken meanwhile) and return False. Groups start at least ``group / pace``
        seconds apart, so the pace is an upper bound; a late group starts the schedule afresh
        rather than catching up in a burst."""
        if now < self.next_due:
            if now - self.last_beat > HEARTBEAT_EVERY:
                self._record()
            time.sleep(min(IDLE_POLL, self.next_due - now))
            return False
        group = max(1, int(self.pace * PACE_GROUP))
        n = group if limit is None else min(group, limit)
        start = time.monotonic()
        self.next_due = start + n / self.pace
        self.paced.append((start, self.trainer.advance(n, stop_when_solved=self.pause_when_solved)))
        return True

    def run(self) -> None:
        try:
            while self.turn():
                pass
        finally:  # no heartbeat: no worker looks after this run any more
            self.store.update_run(self.run_id, heartbeat=None)


def _rows_after(table, n: int) -> dict | None:
    """The rows of a history table after the first ``n`` (views), or None if there are none."""
    return {k: table[k][n:] for k in table.names} if len(table) > n else None


def _model_bytes(trainer: Trainer) -> bytes:
    meta = {"step": trainer.step, "samples": trainer.samples, "solved_at_step": trainer.solved_at_step}
    return checkpoint.to_bytes(trainer.model, meta)


def main(folder: str, run_id: str, parent_pid: int | None, paused: bool = False,
         idle_exit: float = IDLE_EXIT, checkpoint_every: float = CHECKPOINT_EVERY) -> None:
    """The entry point of a worker process."""
    store = Store(folder)
    try:
        Worker(store, run_id, parent_pid, paused=paused, idle_exit=idle_exit,
               checkpoint_every=checkpoint_every).run()
    except Exception as e:  # a bug, or a store that went away: say so in the run
        detail = traceback.format_exception_only(type(e), e)[-1].strip()
        store.update_run(run_id, state="failed", message=f"The worker failed: {detail}", ended=time.time())
    finally:
        store.close()



# How the service starts a worker: lower the priority first, then import NumPy and the engine.
BOOT = (f"from runs import priority; priority.start({PRIORITIES[0][1]}); "
        "from runs.worker import cli; cli()")


SPARE = "-"  # the run id of a spare worker: it reads "RUN_ID" or "RUN_ID paused" from stdin first


def cli(argv=None) -> None:
    """How the service starts a worker: ``python -c BOOT FOLDER RUN_ID`` (:data:`BOOT`).

    With the run id ``-`` (:data:`SPARE`) the process is a spare: started ahead, with the engine
    loaded, it waits for one line on stdin naming its run (and ``paused``), so a new run's first step
    does not wait for an interpreter to start. It exits if stdin closes first (its server is gone).
    """
    parser = argparse.ArgumentParser(prog="runs worker", description="Train one stored run.")
    parser.add_argument("folder")
    parser.add_argument("run_id", help=f"the run to train ({SPARE}: read it from stdin)")
    parser.add_argument("--parent", type=int, help="exit when this process is no longer the parent")
    parser.add_argument("--paused", action="store_true", help="start paused (waiting for commands)")
    parser.add_argument("--idle-exit", type=float, default=IDLE_EXIT)
    parser.add_argument("--checkpoint-every", type=float, default=CHECKPOINT_EVERY)
    args = parser.parse_args(argv)
    run_id, paused = args.run_id, args.paused
    if run_id == SPARE:
        Trainer(Config(steps=1, eval_every=1)).advance(1)  # the first run's one-off costs, paid now
        words = sys.stdin.readline().split()
        if not words:
            return
        run_id, paused = words[0], "paused" in words[1:]
    main(args.folder, run_id, args.parent, paused, args.idle_exit, args.checkpoint_every)
