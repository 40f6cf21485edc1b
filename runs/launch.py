"""Worker processes for the run service: a fresh interpreter per run, and one spare started ahead.

A worker is ``runs.worker.cli`` in a new interpreter, as the ``spawn`` start method would make it,
never a fork of the multi-threaded server (and not multiprocessing itself, whose children re-run
the parent's ``__main__``, under Streamlit the page script). It runs in its own session at a lower
priority (:mod:`runs.priority`).

With ``spare=True`` a :class:`Launcher` keeps one worker started ahead, waiting on its stdin for a
run id: the next run gets it, its first step comes about 0.15 s sooner (no interpreter to start, no
engine to import), and another spare starts. A :class:`Launcher` is not thread-safe: the run service
calls it under its own lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from runs import priority, worker

ROOT = str(Path(__file__).resolve().parents[1])  # the project folder, where ``runs`` is importable


class Launcher:
    def __init__(self, folder, idle_exit: float = worker.IDLE_EXIT,
                 checkpoint_every: float = worker.CHECKPOINT_EVERY, spare: bool = False):
        self.folder, self.idle_exit, self.checkpoint_every = str(folder), idle_exit, checkpoint_every
        self.keep_spare = spare
        self.spare: subprocess.Popen | None = self._new(worker.SPARE) if spare else None

    def launch(self, run_id: str, paused: bool = False) -> subprocess.Popen:
        """A worker process for ``run_id``: the spare, if one is ready, else a new process."""
        proc, self.spare = self.spare, None
        if proc is not None and proc.poll() is None:
            try:
                proc.stdin.write(f"{run_id}{' paused' if paused else ''}\n".encode())
                proc.stdin.close()
            except OSError:  # it died meanwhile
                proc = None
        else:
            proc = None
        if proc is None:
            proc = self._new(run_id, paused)
        if self.keep_spare:
            self.spare = self._new(worker.SPARE)
        return proc

    def close(self) -> None:
        """Stop keeping a spare and end the one waiting (it holds no run: nothing to wait for)."""
        self.keep_spare = False
        spare, self.spare = self.spare, None
        if spare is not None and spare.poll() is None:
            spare.kill()
            spare.wait(5)

    def _new(self, run_id: str, paused: bool = False) -> subprocess.Popen:
        cmd = [sys.executable, "-c", worker.BOOT, self.folder, run_id,
               "--parent", str(os.getpid()), "--idle-exit", repr(self.idle_exit),
               "--checkpoint-every", repr(self.checkpoint_every)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
        # Its own session (where the kernel shares CPU between sessions) or process group: its lower
        # priority counts, and a Ctrl-C reaches the server only (the worker sees it gone and exits).
        stdin = subprocess.PIPE if run_id == worker.SPARE else subprocess.DEVNULL
        return subprocess.Popen(cmd + (["--paused"] if paused else []), env=env, cwd=ROOT, stdin=stdin,
                                **priority.spawn_options())
