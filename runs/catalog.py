"""The stored runs as rows for people: one summary row per run, filters, and settings side by side.

Pure functions over the run dicts :meth:`runs.store.Store.read_run` and
:meth:`~runs.store.Store.list_runs` return; no store access, no streamlit. The
Runs page shows these rows, its CSV export writes them, and its comparison
marks the settings in which the chosen runs differ.
"""

from __future__ import annotations

import csv
import io

from engine import schema

ACTIVE = ("queued", "training")  # a run in one of these states has (or waits for) a worker
# The summary's columns after the run's own fields: the settings most runs differ in.
SUMMARY_SETTINGS = ("cell", "hidden", "layers", "activation", "bits", "batch", "optimizer", "lr", "seed")
SUMMARY_COLUMNS = ("id", "state", "origin", *SUMMARY_SETTINGS, "step", "steps_budget", "best_exact",
                   "solved_at", "started", "message")


def summary_row(run: dict) -> dict:
    """One run as a flat row (``SUMMARY_COLUMNS``): its state, main settings and progress.

    ``lr`` is the run's current learning rate (a command may have changed it since the start);
    ``started`` is when training began (or when the run was recorded, before that), Unix seconds.
    """
    config = run["config"]
    row = {"id": run["id"], "state": run["state"], "origin": run["origin"]}
    row.update({name: config.get(name) for name in SUMMARY_SETTINGS})
    if run.get("lr") is not None:
        row["lr"] = run["lr"]
    row.update(step=run["step"], steps_budget=config.get("steps"), best_exact=run["best_exact"],
               solved_at=run["solved_at"], started=run.get("started") or run.get("created"),
               message=run.get("message") or "")
    return row


def filter_runs(runs: list[dict], states=(), cells=(), origins=()) -> list[dict]:
    """The runs in one of ``states``, of one of ``cells`` and from one of ``origins`` (empty: any)."""
    return [r for r in runs
            if (not states or r["state"] in states) and (not cells or r["config"].get("cell") in cells)
            and (not origins or r["origin"] in origins)]


def is_active(run: dict) -> bool:
    return run["state"] in ACTIVE


def compare_settings(runs: list[dict]) -> list[dict]:
    """Every setting of ``runs`` side by side: ``{"setting", "label", "values": [...], "differs"}``.

    One entry per schema setting in the schema's order (then any other stored key), the values
    in the order of ``runs``; ``differs`` is whether the runs do not all have the same value.
    The learning rate is each run's current one.
    """
    configs = [{**r["config"], **({"lr": r["lr"]} if r.get("lr") is not None else {})} for r in runs]
    names = list(schema.FIELDS) + sorted({k for c in configs for k in c} - set(schema.FIELDS))
    out = []
    for name in names:
        values = [c.get(name) for c in configs]
        row = schema.BY_NAME.get(name)
        out.append({"setting": name, "label": row.label if row else name, "values": values,
                    "differs": any(v != values[0] for v in values[1:])})
    return out


def _csv_cell(value) -> str:
    return "" if value is None else str(value)


def runs_csv(rows: list[dict], columns=SUMMARY_COLUMNS) -> str:
    """CSV text of summary rows (``columns`` in that order; a missing value is empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return out.getvalue()
