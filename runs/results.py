"""A sweep's results as rows, summaries over two settings, and an Optuna study to draw from.

Pure functions over a sweep's points (anything with ``run_id``, ``config``,
``state`` and ``result`` as :class:`runs.sweep.Point` has them): the Sweeps
page shows the rows as a table, draws :func:`grid_summary` as heatmaps of the
median steps-to-solve and the success rate, and hands :func:`study_of` to
Optuna's figures. Nothing here reads the store or imports streamlit.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

FIGURES = ("steps_to_solve", "solved_at_step", "steps", "final_loss", "exact_accuracy", "wall_s", "solved")


def columns(settings) -> tuple[str, ...]:
    """The keys of :func:`result_rows`' rows, in order."""
    return ("run", *settings, "state", *FIGURES)


def steps_to_solve(result, budget: int) -> int:
    """The step that solved the run, or ``budget`` for unsolved, diverged and failed runs."""
    if result.state in ("diverged", "failed") or result.solved_at_step is None:
        return budget
    return result.solved_at_step


def result_rows(points, settings: tuple[str, ...] | list[str]) -> list[dict]:
    """One row per point: its run id, the values of ``settings``, its state and its figures.

    A point without a result yet (queued, training, interrupted) has None figures; ``solved``
    is whether it was solved, ``steps_to_solve`` counts an unsolved run as its step budget.
    """
    rows = []
    for p in points:
        r = p.result
        row = {"run": p.run_id, **{name: getattr(p.config, name) for name in settings},
               "state": p.state if r is None else r.state}
        if r is None:
            row.update(dict.fromkeys(FIGURES))
        else:
            row.update(steps_to_solve=steps_to_solve(r, p.config.steps), solved_at_step=r.solved_at_step,
                       steps=r.steps, final_loss=r.final_loss, exact_accuracy=r.exact_accuracy,
                       wall_s=r.wall_s, solved=r.solved_at_step is not None and r.state == "solved")
        rows.append(row)
    return rows


def _order(values) -> list:
    """Distinct values, sorted (numbers by size, text as text)."""
    distinct = list(dict.fromkeys(values))
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=str)


def grid_summary(rows: list[dict], x: str, y: str | None = None) -> dict:
    """The finished rows grouped by the values of settings ``x`` and ``y`` (None: one row).

    Returns ``{"x": [x values], "y": [y values], "median_steps": (ny, nx), "success": (ny, nx),
    "count": (ny, nx)}``: per cell the median steps-to-solve (unsolved runs counting as the
    budget), the fraction solved and how many runs finished; NaN where none did.
    """
    done = [r for r in rows if r.get("steps_to_solve") is not None]
    xs = _order(r[x] for r in done)
    ys = _order(r[y] for r in done) if y else [None]
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for r in done:
        cells[(r[x], r[y] if y else None)].append(r)
    shape = (len(ys), len(xs))
    median, success, count = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, dtype=int)
    for (i, yv), (j, xv) in ((iy, jx) for iy in enumerate(ys) for jx in enumerate(xs)):
        group = cells.get((xv, yv))
        if group:
            median[i, j] = float(np.median([g["steps_to_solve"] for g in group]))
            success[i, j] = sum(bool(g["solved"]) for g in group) / len(group)
            count[i, j] = len(group)
    return {"x": xs, "y": ys, "median_steps": median, "success": success, "count": count}


def curves(points, by: str, history_of) -> list[tuple[object, object, np.ndarray, np.ndarray]]:
    """Each finished point's training loss: ``(run id, value of setting by, step, loss)``.

    ``history_of(run_id)`` gives a run's history as :meth:`runs.store.Store.history` does.
    """
    out = []
    for p in points:
        if p.result is None:
            continue
        train = history_of(p.run_id)["train"]
        if len(train["step"]):
            out.append((p.run_id, getattr(p.config, by), np.asarray(train["step"], dtype=float),
                        np.asarray(train["loss"], dtype=float)))
    return out


def study_of(spec, points):
    """An Optuna study holding the sweep's finished points as trials (objective: steps-to-solve).

    A search's ranges are its distributions; a grid's axes become categorical ones. Returns
    None when no point has finished (Optuna's figures need trials).
    """
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if hasattr(spec, "ranges"):
        dists = {r.name: r.distribution() for r in spec.ranges}
    else:
        dists = {name: CategoricalDistribution(values) for name, values in spec.axes}
    study = optuna.create_study(direction="minimize")
    for p in points:
        if p.result is None or p.result.state == "failed":
            continue
        params = {name: getattr(p.config, name) for name in dists}
        try:
            study.add_trial(create_trial(params=params, distributions=dists,
                                         value=steps_to_solve(p.result, p.config.steps)))
        except ValueError:  # a value outside the ranges (a spec edited by hand): not a trial of this study
            continue
    return study if study.trials else None
