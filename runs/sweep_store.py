"""A minimal SQLite store of sweeps and their runs (implements :class:`runs.sweep.SweepSink`).

One database file, WAL mode, one short transaction per write, so a process
killed at any moment leaves every committed run intact. Each run row holds
its config (JSON), state, origin ("sweep"), tags, figures, loss history (JSON)
and trained weights in the engine's ``.npz`` checkpoint format. A connection
is opened per call, so the store can be used from any thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import closing, contextmanager
from pathlib import Path

from engine.config import Config
from runs.sweep import Point
from runs.sweep_point import PointResult

DATA_ENV = "RNNLAB_DATA"
FILENAME = "sweeps.sqlite"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, spec TEXT NOT NULL, total INTEGER NOT NULL,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, sweep_id INTEGER REFERENCES sweeps(id), config TEXT NOT NULL,
    state TEXT NOT NULL, origin TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
    steps INTEGER, solved_at_step INTEGER, final_loss REAL, exact_accuracy REAL, wall_s REAL,
    message TEXT NOT NULL DEFAULT '', history TEXT, weights BLOB, created REAL NOT NULL, finished REAL);
CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs (sweep_id, id);
"""


def data_dir() -> Path:
    """The data folder: ``$RNNLAB_DATA``, else ``~/.rnnlab``."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".rnnlab")


class SweepStore:
    """Sweeps and runs in the SQLite file ``path`` (default: ``sweeps.sqlite`` in :func:`data_dir`)."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else data_dir() / FILENAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._tx() as db:
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _tx(self):
        """A connection in one transaction: committed on success, rolled back on error, then closed."""
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # with WAL: a killed process loses nothing committed
            with db:
                yield db

    # --- SweepSink ---------------------------------------------------------------

    def create_sweep(self, kind: str, spec: dict, total: int) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO sweeps (kind, spec, total, created) VALUES (?, ?, ?, ?)",
                             (kind, json.dumps(spec), total, time.time()))
            return cur.lastrowid

    def sweep(self, sweep_id: int) -> dict:
        with self._tx() as db:
            row = db.execute("SELECT id, kind, spec, total FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise KeyError(sweep_id)
        return {"id": row[0], "kind": row[1], "spec": json.loads(row[2]), "total": row[3]}

    def add_points(self, sweep_id: int, configs: list[Config]) -> list[int]:
        tags = json.dumps([f"sweep:{sweep_id}"])
        now = time.time()
        with self._tx() as db:
            return [db.execute("INSERT INTO runs (sweep_id, config, state, origin, tags, created) "
                               "VALUES (?, ?, 'queued', 'sweep', ?, ?)",
                               (sweep_id, c.to_json(), tags, now)).lastrowid for c in configs]

    def finish_point(self, run_id: int, result: PointResult) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET state = ?, steps = ?, solved_at_step = ?, final_loss = ?, "
                       "exact_accuracy = ?, wall_s = ?, message = ?, history = ?, weights = ?, finished = ? "
                       "WHERE id = ?",
                       (result.state, result.steps, result.solved_at_step, result.final_loss,
                        result.exact_accuracy, result.wall_s, result.message, json.dumps(result.history),
                        result.weights, time.time(), run_id))

    def interrupt_points(self, run_ids: list[int]) -> None:
        with self._tx() as db:
            db.executemany("UPDATE runs SET state = 'interrupted' WHERE id = ? AND finished IS NULL",
                           [(i,) for i in run_ids])

    def points(self, sweep_id: int) -> list[Point]:
        with self._tx() as db:
            rows = db.execute("SELECT id, config, state, steps, solved_at_step, final_loss, exact_accuracy, "
                              "wall_s, message, history, weights, finished FROM runs WHERE sweep_id = ? "
                              "ORDER BY id", (sweep_id,)).fetchall()
        out = []
        for (run_id, config, state, steps, solved, loss, acc, wall, msg, hist, weights, finished) in rows:
            result = None
            if finished is not None:
                result = PointResult(state, steps, solved, loss, acc, wall, msg, json.loads(hist or "{}"),
                                     weights)
            out.append(Point(run_id, Config.from_json(config), state, result))
        return out

    # --- for people and tests ------------------------------------------------------

    def sweeps(self) -> list[dict]:
        """Every sweep with its kind and planned run count, newest first."""
        with self._tx() as db:
            rows = db.execute("SELECT id, kind, total, created FROM sweeps ORDER BY id DESC").fetchall()
        return [{"id": i, "kind": k, "total": t, "created": c} for i, k, t, c in rows]

    def finished_at(self, sweep_id: int) -> dict[int, float]:
        """When each trained run of the sweep was stored (run id -> Unix time)."""
        with self._tx() as db:
            rows = db.execute("SELECT id, finished FROM runs WHERE sweep_id = ? AND finished IS NOT NULL",
                              (sweep_id,)).fetchall()
        return dict(rows)

    def integrity(self) -> str:
        """SQLite's own check of the file ("ok" when sound)."""
        with self._tx() as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
