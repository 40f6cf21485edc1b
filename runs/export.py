"""A run's history as CSV text: the same columns and rows as the Train page's download.

One row per step, training columns first (``step, loss, grad_norm, samples, lr``), then the
evaluation columns (``eval_loss, exact_acc, bit_acc``) on the steps evaluated; the evaluation
before training is a row of its own at step 0. Steps and samples are whole numbers, missing
or NaN values are empty. Written without pandas, so the run service stays light.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from runs.store import TABLES

WHOLE = ("step", "samples")


def _cell(name: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(int(value)) if name in WHOLE else repr(float(value))


def history_csv(history: dict[str, dict[str, np.ndarray]]) -> str:
    """CSV text of ``history`` as :meth:`runs.store.Store.history` returns it."""
    train, evals = history["train"], history["evals"]
    names = list(TABLES["train"]) + [k for k in TABLES["evals"] if k != "step"]
    rows: dict[float, dict] = {}
    for i, step in enumerate(train["step"]):
        rows[float(step)] = {k: train[k][i] for k in TABLES["train"]}
    for i, step in enumerate(evals["step"]):
        row = rows.setdefault(float(step), {"step": step})
        row.update({k: evals[k][i] for k in TABLES["evals"] if k != "step"})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for step in sorted(rows):
        writer.writerow([_cell(k, rows[step].get(k)) for k in names])
    return out.getvalue()
