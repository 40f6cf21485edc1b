"""Sweeps in the run store: the :class:`runs.sweep.SweepSink` the coordinator writes through.

Every point of a sweep is a run in :class:`runs.store.Store` (origin "sweep"),
tagged with its sweep by a row of ``sweep_runs``, which also keeps the figures
a sweep's table shows (final loss, exact accuracy, wall time). A trained point
is written in one transaction: its history (the same columns as any run's),
its weights as the latest snapshot (a model file), its training state as the
checkpoint (so it can be continued like any run), its run fields and its
figures; so a killed coordinator leaves every finished point whole.

While a coordinator runs it keeps its queued points' heartbeat fresh, so the
run service's check for runs of a dead server leaves them alone; once it is
gone they become interrupted, and a sweep trains interrupted points again.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import numpy as np

from engine.config import Config
from runs.store import Store, _append, _update
from runs.sweep import Point
from runs.sweep_point import PointResult

STOPPED = "The sweep stopped before this point had trained; running the sweep again trains it."


def _column(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


class SweepStore:
    """Sweeps and their runs in the run database of ``folder`` (default: the data folder)."""

    def __init__(self, folder: str | os.PathLike | None = None, store: Store | None = None):
        self.store = store if store is not None else Store(folder)
        self.path = self.store.path

    # --- SweepSink ---------------------------------------------------------------

    def create_sweep(self, kind: str, spec: dict, total: int) -> int:
        return self.store._write(lambda c: c.execute(
            "INSERT INTO sweeps (kind, spec, total, created) VALUES (?,?,?,?)",
            (kind, json.dumps(spec), total, time.time())).lastrowid)

    def sweep(self, sweep_id: int) -> dict:
        row = self.store._conn().execute("SELECT id, kind, spec, total FROM sweeps WHERE id = ?",
                                         (sweep_id,)).fetchone()
        if row is None:
            raise KeyError(sweep_id)
        return {"id": row[0], "kind": row[1], "spec": json.loads(row[2]), "total": row[3]}

    def add_points(self, sweep_id: int, configs: list[Config]) -> list[str]:
        now = time.time()
        ids = [uuid.uuid4().hex[:12] for _ in configs]

        def add(c):
            for run_id, config in zip(ids, configs, strict=True):
                c.execute("INSERT INTO runs (id, config, state, origin, lr, created, updated, heartbeat) "
                          "VALUES (?,?,'queued','sweep',?,?,?,?)",
                          (run_id, config.validate().to_json(), config.lr, now, now, now))
                c.execute("INSERT INTO sweep_runs (run_id, sweep_id) VALUES (?,?)", (run_id, sweep_id))
        self.store._write(add)
        return ids

    def finish_point(self, run_id: str, result: PointResult) -> None:
        history = result.history or {}
        evals = history.get("evals", {})
        exact = [v for v in evals.get("exact_acc", []) if v is not None]
        train = history.get("train", {})
        now = time.time()

        def write(c):
            c.execute("DELETE FROM history WHERE run_id = ?", (run_id,))  # a point trained again starts over
            for kind, cols in (("train", train), ("evals", evals)):
                if cols.get("step"):
                    _append(c, run_id, kind, {k: _column(v) for k, v in cols.items()})
            if result.weights is not None:
                c.execute("INSERT OR REPLACE INTO snapshots VALUES (?,?,?)",
                          (run_id, result.steps, result.weights))
            if result.train_state is not None:  # so the run can be continued exactly, as any run
                c.execute("INSERT OR REPLACE INTO checkpoints VALUES (?,?,?)",
                          (run_id, result.steps, result.train_state))
            _update(c, run_id, {
                "state": result.state, "message": result.message, "step": result.steps,
                "samples": int(train["samples"][-1]) if train.get("samples") else 0,
                "best_exact": max(exact) if exact else None, "solved_at": result.solved_at_step,
                "started": now - result.wall_s, "ended": now, "heartbeat": None})
            c.execute("UPDATE sweep_runs SET final_loss = ?, exact_accuracy = ?, wall_s = ? WHERE run_id = ?",
                      (result.final_loss, result.exact_accuracy, result.wall_s, run_id))
        self.store._write(write)

    def interrupt_points(self, run_ids: list[str]) -> None:
        def stop(c):
            for run_id in run_ids:
                if c.execute("SELECT 1 FROM runs WHERE id = ? AND state IN ('queued', 'training')",
                             (run_id,)).fetchone():
                    _update(c, run_id, {"state": "interrupted", "message": STOPPED, "heartbeat": None})
        self.store._write(stop)

    def keep_alive(self, sweep_id: int) -> None:
        """Tell the run service this sweep's queued points have a live coordinator."""
        self.store._write(lambda c: c.execute(
            "UPDATE runs SET heartbeat = ? WHERE state = 'queued' AND id IN "
            "(SELECT run_id FROM sweep_runs WHERE sweep_id = ?)", (time.time(), sweep_id)))

    def points(self, sweep_id: int, full: bool = False) -> list[Point]:
        """The sweep's runs in the order added; with ``full``, results carry history and weights."""
        rows = self.store._conn().execute(
            "SELECT r.id, r.config, r.state, r.step, r.solved_at, r.message, s.final_loss, s.exact_accuracy, "
            "s.wall_s FROM sweep_runs s JOIN runs r ON r.id = s.run_id WHERE s.sweep_id = ? ORDER BY s.rowid",
            (sweep_id,)).fetchall()
        out = []
        for run_id, config, state, step, solved, message, loss, acc, wall in rows:
            result = None
            if wall is not None:
                history, weights = {}, None
                if full:
                    history = {kind: {k: [None if v != v else float(v) for v in col]
                                      for k, col in cols.items()}
                               for kind, cols in self.store.history(run_id).items()}
                    found = self.store.snapshot_bytes(run_id)
                    weights = found[1] if found else None
                result = PointResult(state, step, solved, loss, acc, wall, message, history, weights)
            out.append(Point(run_id, Config.from_json(config), state, result))
        return out

    # --- for people and tests ------------------------------------------------------

    def sweeps(self) -> list[dict]:
        """Every sweep with its kind and planned run count, newest first."""
        rows = self.store._conn().execute("SELECT id, kind, total, created FROM sweeps ORDER BY id DESC")
        return [{"id": i, "kind": k, "total": t, "created": c} for i, k, t, c in rows]

    def finished_at(self, sweep_id: int) -> dict[str, float]:
        """When each trained run of the sweep was stored (run id -> Unix time)."""
        rows = self.store._conn().execute(
            "SELECT r.id, r.ended FROM sweep_runs s JOIN runs r ON r.id = s.run_id "
            "WHERE s.sweep_id = ? AND s.wall_s IS NOT NULL", (sweep_id,))
        return {i: t for i, t in rows}

    def integrity(self) -> str:
        """SQLite's own check of the file ("ok" when sound)."""
        return self.store._conn().execute("PRAGMA integrity_check").fetchone()[0]
