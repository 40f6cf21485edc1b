"""The run database's schema, one migration per version (``PRAGMA user_version``).

A migration is appended, never edited: a database made by an older version of
the app is brought up to date when a :class:`runs.store.Store` opens it, and a
database from a newer version is refused rather than misread.
"""

from __future__ import annotations

import sqlite3


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says why."""


MIGRATIONS = [
    # 1: runs, their history blocks, the latest weights and the latest training state.
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, config TEXT NOT NULL, state TEXT NOT NULL, origin TEXT NOT NULL,
        owner TEXT, key_hash TEXT, message TEXT NOT NULL DEFAULT '',
        step INTEGER NOT NULL DEFAULT 0, samples INTEGER NOT NULL DEFAULT 0, lr REAL,
        best_exact REAL, solved_at INTEGER,
        created REAL NOT NULL, started REAL, updated REAL NOT NULL, ended REAL, heartbeat REAL);
    CREATE INDEX runs_state ON runs(state);
    CREATE TABLE history (
        run_id TEXT NOT NULL, kind TEXT NOT NULL, first_step INTEGER NOT NULL,
        last_step INTEGER NOT NULL, n INTEGER NOT NULL, columns TEXT NOT NULL, data BLOB NOT NULL);
    CREATE INDEX history_run ON history(run_id, kind, last_step);
    CREATE TABLE snapshots (run_id TEXT PRIMARY KEY, step INTEGER NOT NULL, weights BLOB NOT NULL);
    CREATE TABLE checkpoints (run_id TEXT PRIMARY KEY, step INTEGER NOT NULL, state BLOB NOT NULL);
    """,
    # 2: commands to workers, and "pause when solved" as a per-run option.
    """
    CREATE TABLE commands (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,
                           kind TEXT NOT NULL, value REAL, created REAL NOT NULL);
    CREATE INDEX commands_run ON commands(run_id, id);
    ALTER TABLE runs ADD COLUMN pause_when_solved INTEGER NOT NULL DEFAULT 0;
    """,
    # 3: sweeps (a grid or a search, its spec as JSON) and the runs each is made of, in order, with
    # the figures a sweep's table shows.
    """
    CREATE TABLE sweeps (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, spec TEXT NOT NULL,
                         total INTEGER NOT NULL, created REAL NOT NULL);
    CREATE TABLE sweep_runs (run_id TEXT PRIMARY KEY, sweep_id INTEGER NOT NULL, final_loss REAL,
                             exact_accuracy REAL, wall_s REAL);
    CREATE INDEX sweep_runs_sweep ON sweep_runs(sweep_id);
    """,
]
VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, upto: int = VERSION) -> int:
    """Apply the migrations after the database's version, up to ``upto``; returns the new version."""
    have = conn.execute("PRAGMA user_version").fetchone()[0]
    if have > VERSION:
        raise StoreError(f"the run database is version {have}, newer than this program reads ({VERSION}); "
                         "use a newer version of the app or another RNNLAB_DATA folder")
    for version in range(have + 1, upto + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < version:  # another process raced us
                for statement in MIGRATIONS[version - 1].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return conn.execute("PRAGMA user_version").fetchone()[0]


