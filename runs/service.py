"""The run service: one per server process, it starts and supervises the workers.

:meth:`RunService.get` returns the process's service for a data folder (a page keeps it in
``st.cache_resource``; it holds no per-visitor state). It admits runs (the live cost budget),
queues them beyond the limits (``4 x cores`` training at once, one live run per visitor), starts
a worker process per run (:mod:`runs.launch`; the server's service keeps one spare started ahead,
``spare=True`` as :meth:`RunService.get` makes it), passes commands on through the store and
notices dead workers. Runs a dead server left active become interrupted.
"""

from __future__ import annotations

import math
import os
import secrets
import subprocess
import threading
import time
from pathlib import Path

from engine import checkpoint, cost
from engine.config import Config
from engine.model import SequenceModel
from runs import worker
from runs.launch import Launcher
from runs.store import Store, data_dir

LEASE = 10.0  # a queued or training run without a heartbeat this long is interrupted
TICK = 0.1  # seconds between the supervisor's looks at its workers and queue
RESUMABLE = ("paused", "solved", "interrupted", "finished", "queued")
UNWATCHED = 120.0  # a page's run that no page has looked at for this long pauses (its tab was closed)


def elsewhere(run: dict) -> bool:
    """Whether a worker of another process is looking after ``run`` (a recent heartbeat)."""
    beat = run.get("heartbeat") or 0.0
    fresh = time.time() - beat < 3 * worker.HEARTBEAT_EVERY
    return run["state"] in ("training", "paused", "solved") and fresh


class RunError(ValueError):
    """A run cannot be started or commanded as asked; the message says why for a person."""


class RunService:
    _instances: dict[str, RunService] = {}
    _instances_lock = threading.Lock()
    keep_spare = True  # whether get() makes services that keep a spare worker (tests of pages turn it off)

    @classmethod
    def get(cls, folder=None) -> RunService:
        """The process's service for ``folder`` (default: the data folder), created on first use."""
        where = str(Path(folder if folder is not None else data_dir()).resolve())
        with cls._instances_lock:
            service = cls._instances.get(where)
            if service is None or service.closed:
                service = cls._instances[where] = cls(where, spare=cls.keep_spare)
            return service

    def __init__(self, folder=None, max_active: int | None = None, max_workers: int | None = None,
                 per_owner: int = 1, spare: bool = False,
                 idle_exit: float = worker.IDLE_EXIT, checkpoint_every: float = worker.CHECKPOINT_EVERY):
        self.store = Store(folder)
        self.max_active = max_active or 4 * (os.cpu_count() or 1)  # runs training at once
        self.max_workers = max_workers or 2 * self.max_active  # processes, idle (paused) ones included
        self.per_owner = per_owner
        self._workers: dict[str, subprocess.Popen] = {}
        self._queue: list[str] = []  # run ids waiting for a slot, oldest first
        self._touched: dict[str, float] = {}  # run id -> when it was last started or commanded
        self._watched: dict[str, float] = {}  # a page's run -> when a page last looked at it
        self._lock = threading.RLock()
        self.closed = False
        self.store.interrupt_stale(LEASE)
        self._thread = threading.Thread(target=self._supervise, name="run-service", daemon=True)
        with self._lock:
            self._launcher = Launcher(self.store.folder, idle_exit, checkpoint_every, spare=spare)
        self._thread.start()

    # --- the page's calls ---------------------------------------------------

    def check_budget(self, config: Config) -> None:
        """Raise :class:`RunError` if ``config`` costs more per step than a live run may
        (:data:`engine.cost.LIVE`; the message gives the estimate and the limit)."""
        problem = cost.live_problem(config)
        if problem:
            raise RunError(problem)

    def start(self, config: Config, origin: str = "train", owner: str | None = None, live: bool = True,
              pause_when_solved: bool = False, paused: bool = False, model: SequenceModel | None = None,
              copy_of: str | None = None, pace: float = 0.0) -> tuple[str, str]:
        """Record a run and train it as soon as the limits allow; returns ``(run_id, control_key)``.

        A live run (one a page shows) must fit the cost budget (:class:`RunError` if not).
        ``paused``: a worker builds the model and records step 0, then waits for "resume" or
        "step" (a page's fresh model before Play). ``model``: start from these weights (a loaded
        model; its architecture must be ``config``'s). ``copy_of``: a copy of that run at its
        latest checkpoint, with its history (anyone watching a run may train a copy). ``pace``: steps
        per second from the first step on (0: as fast as possible).
        """
        config = config.validate()
        if live:
            self.check_budget(config)
        if model is not None and model.config.architecture != config.architecture:
            raise RunError("the weights do not fit these settings: the cell, its size, the bits "
                           "and the precision must be the model's")
        key = secrets.token_urlsafe(16)
        if copy_of is not None:
            if self.store.checkpoint(copy_of) is None:
                raise RunError("that run has no checkpoint to copy yet; try again in a moment")
            run_id = self.store.copy_run(copy_of, origin, owner=owner, key=key)
        else:
            run_id = self.store.create_run(config, origin, owner=owner, key=key,
                                           pause_when_solved=pause_when_solved)
            if model is not None:
                self.store.record(run_id, snapshot=(0, checkpoint.to_bytes(model)))
        self.store.update_run(run_id, heartbeat=time.time())
        if pace:  # waiting for the worker, which takes it before its first step
            self.store.send_command(run_id, "pace", pace)
        with self._lock:
            if paused:
                self._spawn(run_id, paused=True)
            else:
                self._queue.append(run_id)
        if live:
            self.watch(run_id)
        self._schedule()
        return run_id, key

    def watch(self, run_id: str) -> None:
        """A page is looking at ``run_id`` (it polls): a page's run nobody looks at for ``UNWATCHED``
        seconds pauses, so closed tabs do not keep the server's training slots busy."""
        self._watched[run_id] = time.monotonic()

    def watchers(self, within: float = 2.0) -> int:
        """How many runs a page has looked at in the last ``within`` seconds (the pages polling now)."""
        now = time.monotonic()
        return sum(now - seen < within for seen in list(self._watched.values()))

    def _pause_unwatched(self) -> None:
        now = time.monotonic()
        for run_id, seen in list(self._watched.items()):
            if now - seen > UNWATCHED:
                del self._watched[run_id]  # until a page looks again
                if self._alive(run_id):
                    self.store.send_command(run_id, "pause", 1.0)

    def delete(self, run_id: str, key: str | None) -> None:
        """Stop the run's worker (if any) and remove the run with everything stored for it."""
        if not self.store.check_key(run_id, key):
            raise RunError("this run can only be watched from here: its control key is missing or wrong")
        with self._lock:
            if run_id in self._queue:
                self._queue.remove(run_id)
            proc = self._workers.pop(run_id, None)
        if proc is not None and proc.poll() is None:
            proc.kill()  # the store stays sound: every write is one transaction
            proc.wait(30)
        self.store.delete_run(run_id)

    def queue_position(self, run_id: str) -> int | None:
        """1 for the next run to start, ...; None when the run is not waiting here."""
        with self._lock:
            return self._queue.index(run_id) + 1 if run_id in self._queue else None

    def command(self, run_id: str, key: str | None, kind: str, value: float | None = None) -> None:
        """Send a command (``worker.COMMANDS``) to a run; needs the run's control key."""
        if kind not in worker.COMMANDS:
            raise RunError(f"unknown command {kind!r}; the commands are {', '.join(worker.COMMANDS)}")
        if not self.store.check_key(run_id, key):
            raise RunError("this run can only be watched from here: its control key is missing or wrong")
        run = self.store.read_run(run_id)
        self._touched[run_id] = time.monotonic()
        if kind in ("lr", "steps"):  # validate the value as the config would
            field = "lr" if kind == "lr" else "steps"
            try:
                Config.from_dict(run["config"]).replace(**{field: value if kind == "lr" else int(value)})
            except (ValueError, TypeError) as e:
                raise RunError(str(e)) from None
        if kind == "pace" and not 0 <= float(value or 0) < math.inf:
            raise RunError(f"a pace is steps per second (0: as fast as possible), not {value!r}")
        with self._lock:
            alive = self._alive(run_id)
            if not alive and elsewhere(run):  # another process (the command line) trains it
                self.store.send_command(run_id, kind, value)
                return
            if kind == "resume" and alive and run["state"] == "training":
                return
            if kind == "resume":
                if run["state"] not in RESUMABLE:
                    raise RunError(f"a {run['state']} run cannot be resumed")
                if run_id not in self._queue:
                    self._queue.append(run_id)
                    if not alive:
                        self.store.update_run(run_id, state="queued", heartbeat=time.time())
            elif alive or kind == "pace":  # a pace waits for the run's next worker, if none runs
                self.store.send_command(run_id, kind, value)
            else:
                self._command_idle(run, kind, value)
        self._schedule()

    def _command_idle(self, run: dict, kind: str, value) -> None:
        """A command for a run without a worker: change the stored run, or start a worker to step."""
        run_id = run["id"]
        if kind == "step":
            self.store.send_command(run_id, kind, value)
            self._spawn(run_id, paused=True)
        elif kind == "lr":
            self.store.update_run(run_id, lr=float(value))
        elif kind == "steps":
            self.store.update_run(run_id, config=Config.from_dict(run["config"]).replace(
                steps=int(value)).to_json())
        elif kind == "pause_when_solved":
            self.store.update_run(run_id, pause_when_solved=int(bool(value)))
        elif kind in ("pause", "stop") and run["state"] == "queued":
            if run_id in self._queue:
                self._queue.remove(run_id)
            state = "paused" if kind == "pause" else "finished"
            message = "Stopped before it started." if kind == "stop" else ""
            self.store.update_run(run_id, state=state, message=message)

    def active(self) -> list[str]:
        """Runs this service is training (or starting)."""
        with self._lock:
            return [r for r in self._workers if self._alive(r) and r not in self._idle()]

    def close(self, wait: float = 10.0) -> None:
        """Stop every worker (each checkpoints and exits), then the supervisor."""
        self.closed = True
        with self._lock:
            procs = dict(self._workers)
        for run_id, proc in procs.items():
            if proc.poll() is None:
                self.store.send_command(run_id, "release")
        with self._lock:
            self._launcher.close()
        deadline = time.monotonic() + wait
        for proc in procs.values():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._thread.join(5)

    # --- supervision --------------------------------------------------------

    def _alive(self, run_id: str) -> bool:
        proc = self._workers.get(run_id)
        return proc is not None and proc.poll() is None

    def _idle(self) -> set[str]:
        ids = list(self._workers)
        if not ids:
            return set()
        return {r["id"] for r in (self.store.read_run(i) for i in ids)
                if r and r["state"] not in ("queued", "training")}

    def _make_room(self) -> None:
        """At ``max_workers`` processes, ask the paused ones least recently started or commanded to
        checkpoint and exit (their runs stay paused; the next command starts a worker again)."""
        alive = [r for r in self._workers if self._alive(r)]
        excess = len(alive) + 1 - self.max_workers
        if excess <= 0:
            return
        idle = [run for run in (self.store.read_run(r) for r in alive)
                if run and run["state"] not in ("queued", "training")]
        for run in sorted(idle, key=lambda run: self._touched.get(run["id"], 0.0))[:excess]:
            self.store.send_command(run["id"], "release")

    def _spawn(self, run_id: str, paused: bool = False) -> None:
        """Start a worker for ``run_id`` (the spare one, if this service keeps one ready)."""
        self._make_room()
        self._touched[run_id] = time.monotonic()
        self._workers[run_id] = self._launcher.launch(run_id, paused)

    def _schedule(self) -> None:
        """Reap dead workers and start queued runs while the limits allow."""
        with self._lock:
            for run_id, proc in list(self._workers.items()):
                if proc.poll() is not None:
                    del self._workers[run_id]
                    run = self.store.read_run(run_id)
                    if run and run["state"] in ("queued", "training") and run_id not in self._queue:
                        self.store.mark_interrupted(run_id, (
                            f"The worker stopped unexpectedly (exit code {proc.returncode}); "
                            "Resume continues from the last checkpoint."))
            busy = self.active()
            owners = [self.store.read_run(r)["owner"] for r in busy]
            for run_id in list(self._queue):
                if len(busy) >= self.max_active:
                    break
                run = self.store.read_run(run_id)
                if run is None:
                    self._queue.remove(run_id)
                    continue
                owner = run["owner"]
                if owner is not None and owners.count(owner) >= self.per_owner:
                    continue
                self._queue.remove(run_id)
                if self._alive(run_id):
                    self.store.send_command(run_id, "resume")
                    self.store.update_run(run_id, state="training")
                else:
                    self._spawn(run_id)
                busy.append(run_id)
                owners.append(owner)

    def _supervise(self) -> None:
        last_sweep = time.monotonic()
        while not self.closed:
            try:
                self._schedule()
                if time.monotonic() - last_sweep > LEASE / 4:
                    with self._lock:
                        for run_id in self._queue:  # queued runs are alive while their service is
                            self.store.update_run(run_id, heartbeat=time.time())
                    self.store.interrupt_stale(LEASE)
                    self._pause_unwatched()
                    last_sweep = time.monotonic()
            except Exception:  # a locked or vanished database: try again next tick
                pass
            time.sleep(TICK)
