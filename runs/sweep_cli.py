"""``python -m runs sweep``: run a grid or a search from the command line (see ``runs/__main__.py``).

    python -m runs sweep --lr 0.01,0.1 --hidden 8,16 --cell rnn,gru --seeds 3
    python -m runs sweep --search --trials 40 --lr 0.001:0.3:log --hidden 4:32 --cell rnn,gru
    python -m runs sweep --resume 7 --json

It says how many runs a sweep makes before it starts, refuses one over the
limit, and stores every point as a run. Bad options end with a message and
exit code 2; a sweep with failed points exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys

from engine.config import PRESETS
from engine.schema import allowed
from runs import executors
from runs.search import make_search
from runs.sweep import MAX_RUNS, SETTINGS, SweepError, make_grid, setting
from runs.sweep_runner import create_sweep, run_sweep, spec_of
from runs.sweep_store import SweepStore


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``sweep`` command to ``sub`` (the subparsers of ``python -m runs``)."""
    s = sub.add_parser(
        "sweep", help="train a grid or a search of settings, every point a stored run",
        description="A grid trains every combination of the listed values once per seed; a search "
                    "(--search) lets Optuna's TPE sampler pick values within ranges (low:high, "
                    "low:high:log, or a list of choices), minimising steps-to-solve. Settings given one "
                    f"value apply to every run. At most {MAX_RUNS:,} runs.")
    s.add_argument("--preset", choices=sorted(p for p in PRESETS if p != "classic"), default="fast",
                   help="the configuration the listed settings change")
    for name in SETTINGS:
        row = setting(name)
        s.add_argument(row.flag, dest=name, metavar="LIST",
                       help=f"{row.label}: {allowed(row)}; several comma-separated (a search also takes a "
                            "range low:high)" if row.kind in (int, float) else
                            f"{row.label}: {allowed(row)}; several comma-separated")
    s.add_argument("--seed", type=int, default=None, metavar="N", help="first seed (default: the preset's)")
    s.add_argument("--seeds", type=int, default=1, metavar="N", help="train every grid point with N seeds")
    s.add_argument("--search", action="store_true", help="search with Optuna's TPE sampler instead of a grid")
    s.add_argument("--trials", type=int, default=20, metavar="N", help="runs of a search (default 20)")
    s.add_argument("--sampler-seed", type=int, default=0, metavar="N", help="seed of the search's sampler")
    s.add_argument("--full-budget", action="store_true",
                   help="train every run for its whole step budget (default: stop at the step that solves)")
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: the cores; ignored when RNNLAB_DASK is set)")
    s.add_argument("--resume", type=int, default=None, metavar="ID",
                   help="train the missing points of sweep ID (no other settings)")
    s.add_argument("--count", action="store_true", help="say how many runs the sweep makes and stop")
    s.add_argument("--json", action="store_true", help="print one JSON object with every run at the end")
    s.set_defaults(func=cmd_sweep, parser=s)
    return s


def _spec(args, parser):
    values = {n: getattr(args, n) for n in SETTINGS if getattr(args, n) is not None}
    base = PRESETS[args.preset]
    if args.seed is not None:
        values_seed = {"seed": args.seed}
        try:
            base = base.replace(**values_seed)
        except ValueError as e:
            parser.error(str(e))
    stop = not args.full_budget
    if args.search:
        return make_search(base, values, args.trials, args.sampler_seed, stop)
    ranged = [n for n, text in values.items() if ":" in text]
    if ranged:
        parser.error(f"--{ranged[0].replace('_', '-')}: a range low:high is for a search (add --search)")
    return make_grid(base, values, args.seeds, stop)


def _row(point) -> dict:
    r = point.result
    figures = r.summary() if r is not None else {"state": point.state}
    return {"run_id": point.run_id, "config": point.config.to_dict(), **figures}


def _line(progress, point, axes) -> str:
    r = point.result
    what = " ".join(f"{n}={getattr(point.config, n)}" for n in axes)
    how = r.state if r.solved_at_step is None else f"{r.state}, solved at step {r.solved_at_step}"
    acc = f"exact {100 * r.exact_accuracy:.2f}%, " if r.exact_accuracy is not None else ""
    return f"[{progress.ran}/{progress.total - progress.done + progress.ran}] run {point.run_id}: " \
           f"{what} -> {how} ({acc}{r.wall_s:.2f} s)"


def cmd_sweep(args, parser) -> int:
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    sink = SweepStore(getattr(args, "data", None))
    try:
        if args.resume is not None:
            given = [n for n in SETTINGS if getattr(args, n) is not None]
            if given or args.search:
                parser.error("--resume trains a stored sweep as it was defined; give no settings with it")
            sweep_id = args.resume
            try:
                spec = spec_of(sink.sweep(sweep_id))
            except KeyError:
                parser.error(f"there is no sweep {sweep_id} in {sink.path}")
        else:
            spec = _spec(args, parser)
    except SweepError as e:
        parser.error(str(e))
    if args.count:
        print(spec.describe())
        return 0
    try:
        executor = executors.make_executor(args.workers)
    except RuntimeError as e:  # RNNLAB_DASK names a cluster that cannot be used
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.resume is None:
        sweep_id = create_sweep(spec, sink)
    missing = sum(p.result is None or p.state == "failed" for p in sink.points(sweep_id))
    todo = missing + (spec.count - len(sink.points(sweep_id)))
    print(f"sweep {sweep_id}: {spec.describe()}; {todo:,} to train on {executor.describe()}", file=sys.stderr)
    axes = [name for name, _ in getattr(spec, "axes", ())] + [r.name for r in getattr(spec, "ranges", ())]
    axes.append("seed")
    shown: set = set()

    def show(progress):
        if args.json:
            return
        new = [i for i in progress.run_ids if i not in shown]
        if new:
            by_id = {p.run_id: p for p in sink.points(sweep_id)}
            for i in new:
                shown.add(i)
                print(_line(progress, by_id[i], axes), flush=True)

    try:
        progress = run_sweep(sweep_id, sink, executor, show)
    except KeyboardInterrupt:
        executor.close(wait=False)
        print(f"\nstopped; train the missing points with: python -m runs sweep --resume {sweep_id}",
              file=sys.stderr)
        return 130
    executor.close()
    if progress.state == "error":
        print(f"error: the sweep stopped: {progress.error}; train the missing points with: "
              f"python -m runs sweep --resume {sweep_id}", file=sys.stderr)
    points = sink.points(sweep_id)
    if args.json:
        print(json.dumps({"sweep_id": sweep_id, "kind": spec.kind, "total": spec.count, "ran": progress.ran,
                          "failed": progress.failed, "state": progress.state, "spec": spec.to_dict(),
                          "runs": [_row(p) for p in points]}))
    else:
        solved = sum(p.result is not None and p.result.solved_at_step is not None for p in points)
        print(f"sweep {sweep_id}: {len(points)} runs, {solved} solved, {progress.ran} trained now "
              f"({progress.failed} failed) in {sink.path}")
    return 1 if progress.failed or progress.state == "error" else 0
