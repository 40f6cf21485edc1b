"""The run store: one SQLite database in the data folder that every process shares.

Workers write (history rows in batches, state, weights snapshots, checkpoints),
pages and the command line read, and commands travel through it as small
rows. The database is in WAL mode, so readers never wait for a writer and a
process killed mid-write leaves it sound; every write is one short
transaction. The schema version lives in ``PRAGMA user_version`` and
:data:`MIGRATIONS` brings an older database up to date on open.

Weights are stored as model files (:mod:`engine.checkpoint`) and training
states as :mod:`engine.train_state` bytes: ``.npz`` archives, never pickles.
History is stored as blocks of float64 rows (raw bytes plus their column names), one block per write.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from engine import checkpoint
from engine.config import Config
from engine.model import SequenceModel
from runs.migrations import StoreError, migrate

# Every state a run can be in (no CHECK constraint in SQL: a new state needs no migration).
STATES = ("queued", "training", "paused", "solved", "finished", "diverged", "stalled", "failed",
          "interrupted")
ORIGINS = ("train", "sweep", "upload", "cli")
TABLES = {"train": ("step", "loss", "grad_norm", "samples", "lr"),
          "evals": ("step", "eval_loss", "exact_acc", "bit_acc")}

RUN_FIELDS = ("state", "message", "step", "samples", "lr", "best_exact", "solved_at", "started",
              "ended", "heartbeat", "config", "pause_when_solved", "owner", "key_hash")


def data_dir() -> Path:
    """``RNNLAB_DATA``, or ``~/.rnnlab`` (created on first use by :class:`Store`)."""
    return Path(os.environ.get("RNNLAB_DATA") or Path.home() / ".rnnlab")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Store:
    """The run database in ``folder`` (default :func:`data_dir`); safe to share between threads.

    Each thread gets its own connection; each process opens its own Store.
    """

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else data_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "runs.sqlite"
        self._local = threading.local()
        migrate(self._conn())

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def _write(self, fn):
        """Run ``fn(conn)`` in one immediate transaction."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            out = fn(conn)
            conn.execute("COMMIT")
            return out
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:  # this thread's connection
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- runs ---------------------------------------------------------------

    def create_run(self, config: Config, origin: str, owner: str | None = None, key: str | None = None,
                   state: str = "queued", pause_when_solved: bool = False) -> str:
        """Record a new run; returns its id. ``key`` (kept only as a hash) controls it."""
        if origin not in ORIGINS:
            raise StoreError(f"origin must be one of {', '.join(ORIGINS)} (got {origin!r})")
        _check_state(state)
        run_id, now = uuid.uuid4().hex[:12], time.time()
        self._write(lambda c: c.execute(
            "INSERT INTO runs (id, config, state, origin, owner, key_hash, lr, created, updated, "
            "pause_when_solved) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (run_id, config.validate().to_json(), state, origin, owner, key and hash_key(key), config.lr,
             now, now, int(pause_when_solved))))
        return run_id

    def read_run(self, run_id: str) -> dict | None:
        """The run's row as a dict (``config`` as a dict), or None if there is no such run."""
        row = self._conn().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run_dict(row) if row else None

    def list_runs(self, state: str | None = None, owner: str | None = None) -> list[dict]:
        """Every run (optionally in one state or of one owner), newest first."""
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        if state is not None:
            sql, args = sql + " AND state = ?", args + [state]
        if owner is not None:
            sql, args = sql + " AND owner = ?", args + [owner]
        return [_run_dict(r) for r in self._conn().execute(sql + " ORDER BY created DESC", args)]

    def copy_run(self, source: str, origin: str, owner: str | None = None, key: str | None = None) -> str:
        """A new paused run that continues ``source`` from its latest checkpoint (history included)."""
        run_id, now = uuid.uuid4().hex[:12], time.time()

        def copy(c):
            step = c.execute("SELECT step FROM checkpoints WHERE run_id = ?", (source,)).fetchone()[0]
            c.execute("""INSERT INTO runs (id, config, state, origin, owner, key_hash, message, step, samples,
                             lr, best_exact, solved_at, created, updated, pause_when_solved)
                         SELECT ?, config, 'paused', ?, ?, ?, '', ?, samples, lr, best_exact, solved_at, ?, ?,
                             pause_when_solved FROM runs WHERE id = ?""",
                      (run_id, origin, owner, key and hash_key(key), step, now, now, source))
            c.execute("""INSERT INTO history SELECT ?, kind, first_step, last_step, n, columns, data
                         FROM history WHERE run_id = ? AND first_step <= ?""", (run_id, source, step))
            c.execute("INSERT INTO checkpoints SELECT ?, step, state FROM checkpoints WHERE run_id = ?",
                      (run_id, source))
        if origin not in ORIGINS:
            raise StoreError(f"origin must be one of {', '.join(ORIGINS)} (got {origin!r})")
        self._write(copy)
        return run_id

    def update_run(self, run_id: str, **fields) -> None:
        self._write(lambda c: _update(c, run_id, fields))

    def has_key(self, run_id: str) -> bool:
        """Whether the run has a control key (a page's run: only whoever holds the key commands it)."""
        row = self._conn().execute("SELECT key_hash FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    def check_key(self, run_id: str, key: str | None) -> bool:
        """Whether ``key`` is the run's control key."""
        row = self._conn().execute("SELECT key_hash FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0] and key and hmac.compare_digest(row[0], hash_key(key)))

    def delete_run(self, run_id: str) -> None:
        def delete(c):
            for table, col in (("history", "run_id"), ("snapshots", "run_id"), ("checkpoints", "run_id"),
                               ("commands", "run_id"), ("sweep_runs", "run_id"), ("runs", "id")):
                c.execute(f"DELETE FROM {table} WHERE {col} = ?", (run_id,))
        self._write(delete)

    # --- what a worker writes -------------------------------------------------

    def record(self, run_id: str, train: dict | None = None, evals: dict | None = None,
               snapshot: tuple[int, bytes] | None = None, checkpoint: tuple[int, bytes] | None = None,
               **fields) -> None:
        """In one transaction: append history columns, replace the snapshot and/or
        checkpoint (``(step, bytes)``), and update run fields."""
        def write(c):
            for kind, cols in (("train", train), ("evals", evals)):
                if cols is not None and len(cols["step"]):
                    _append(c, run_id, kind, cols)
            if snapshot is not None:
                c.execute("INSERT OR REPLACE INTO snapshots VALUES (?,?,?)", (run_id, *snapshot))
            if checkpoint is not None:
                c.execute("INSERT OR REPLACE INTO checkpoints VALUES (?,?,?)", (run_id, *checkpoint))
            if fields:
                _update(c, run_id, fields)
        self._write(write)

    def truncate_history(self, run_id: str, after_step: int) -> None:
        """Drop history rows after ``after_step`` (before resuming from a checkpoint there)."""
        def trim(c):
            for kind in TABLES:
                cols = self._history(c, run_id, kind, -1, max_step=None)
                c.execute("DELETE FROM history WHERE run_id = ? AND kind = ?", (run_id, kind))
                keep = cols["step"] <= after_step
                if keep.any():
                    _append(c, run_id, kind, {k: v[keep] for k, v in cols.items()})
        self._write(trim)

    # --- what a page reads ----------------------------------------------------

    def history(self, run_id: str, since: int = -1) -> dict[str, dict[str, np.ndarray]]:
        """``{"train": {column: array}, "evals": {...}}`` for the rows with step > ``since``."""
        conn = self._conn()
        return {kind: self._history(conn, run_id, kind, since) for kind in TABLES}

    @staticmethod
    def _history(conn, run_id, kind, since, max_step=None) -> dict[str, np.ndarray]:
        names = TABLES[kind]
        blocks = []
        for n, columns, blob in conn.execute(
                "SELECT n, columns, data FROM history WHERE run_id = ? AND kind = ? AND last_step > ? "
                "ORDER BY first_step", (run_id, kind, since)):
            stored = json.loads(columns)
            rows = np.frombuffer(blob, dtype="<f8").reshape(n, len(stored))
            blocks.append(np.stack([rows[:, stored.index(k)] for k in names], axis=1))
        rows = np.concatenate(blocks) if blocks else np.empty((0, len(names)))
        rows = rows[rows[:, 0] > since]
        return {k: rows[:, i].copy() for i, k in enumerate(names)}

    def snapshot_step(self, run_id: str) -> int | None:
        """The step of the latest weights (without reading them), or None before the first snapshot."""
        row = self._conn().execute("SELECT step FROM snapshots WHERE run_id=?", (run_id,)).fetchone()
        return row[0] if row else None

    def snapshot_bytes(self, run_id: str) -> tuple[int, bytes] | None:
        """``(step, model file bytes)`` of the latest weights, or None."""
        row = self._conn().execute("SELECT step, weights FROM snapshots WHERE run_id=?", (run_id,)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def snapshot(self, run_id: str) -> SequenceModel | None:
        """The latest weights as a model, or None before the first snapshot."""
        found = self.snapshot_bytes(run_id)
        return checkpoint.load(found[1]) if found else None

    def checkpoint(self, run_id: str) -> tuple[int, bytes] | None:
        """``(step, engine.train_state bytes)`` of the latest checkpoint, or None."""
        row = self._conn().execute("SELECT step, state FROM checkpoints WHERE run_id = ?",
                                   (run_id,)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    # --- commands -----------------------------------------------------------

    def send_command(self, run_id: str, kind: str, value: float | None = None) -> None:
        self._write(lambda c: c.execute(
            "INSERT INTO commands (run_id, kind, value, created) VALUES (?,?,?,?)",
            (run_id, kind, value, time.time())))

    def take_commands(self, run_id: str) -> list[tuple[str, float | None]]:
        """Remove and return the run's pending commands, oldest first."""
        conn = self._conn()
        if conn.execute("SELECT 1 FROM commands WHERE run_id = ? LIMIT 1", (run_id,)).fetchone() is None:
            return []  # the usual case: no write transaction at all
        def take(c):
            rows = c.execute("SELECT id, kind, value FROM commands WHERE run_id = ? ORDER BY id",
                             (run_id,)).fetchall()
            c.execute("DELETE FROM commands WHERE run_id = ? AND id <= ?", (run_id, rows[-1][0]))
            return [(r[1], r[2]) for r in rows]
        return self._write(take)

    def interrupt_stale(self, lease: float) -> list[str]:
        """Mark queued or training runs whose heartbeat is older than ``lease`` seconds interrupted."""
        now = time.time()
        def sweep(c):
            stale = [r[0] for r in c.execute(
                "SELECT id FROM runs WHERE state IN ('queued', 'training') "
                "AND COALESCE(heartbeat, created) < ?", (now - lease,))]
            for run_id in stale:
                _interrupt(c, run_id, INTERRUPTED)
            return stale
        return self._write(sweep)

    def mark_interrupted(self, run_id: str, message: str = "") -> None:
        """State interrupted, at the step of the last checkpoint (where Resume continues)."""
        self._write(lambda c: _interrupt(c, run_id, message or INTERRUPTED))


INTERRUPTED = "The server stopped while this run was active; Resume continues it from its last checkpoint."


def _interrupt(c, run_id: str, message: str) -> None:
    row = c.execute("SELECT step FROM checkpoints WHERE run_id = ?", (run_id,)).fetchone()
    _update(c, run_id, {"state": "interrupted", "message": message, **({"step": row[0]} if row else {})})


def _check_state(state: str) -> None:
    if state not in STATES:
        raise StoreError(f"state must be one of {', '.join(STATES)} (got {state!r})")


def _update(c, run_id: str, fields: dict) -> None:
    unknown = set(fields) - set(RUN_FIELDS)
    if unknown:
        raise StoreError(f"unknown run field(s): {', '.join(sorted(unknown))}")
    if "state" in fields:
        _check_state(fields["state"])
    fields = {**fields, "updated": time.time()}
    sets = ", ".join(f"{k} = ?" for k in fields)
    c.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*fields.values(), run_id))


def _append(c, run_id: str, kind: str, cols: dict) -> None:
    names = TABLES[kind]
    rows = np.stack([np.asarray(cols[k], dtype="<f8") for k in names], axis=1)
    c.execute("INSERT INTO history VALUES (?,?,?,?,?,?,?)",
              (run_id, kind, int(rows[0, 0]), int(rows[-1, 0]), len(rows), json.dumps(names), rows.tobytes()))


def _run_dict(row: sqlite3.Row) -> dict:
    d = dict(row)
    d["config"] = json.loads(d["config"])
    d["pause_when_solved"] = bool(d.get("pause_when_solved"))
    d.pop("key_hash", None)
    return d
