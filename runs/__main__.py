"""``python -m runs``: list, show, export and resume stored runs (no cost limits here).

    python -m runs list [--json]
    python -m runs show ID [--json]
    python -m runs export ID --npz PATH | --csv PATH
    python -m runs resume ID
    python -m runs sweep --lr 0.01,0.1 --hidden 8,16 --seeds 3 [--json] [--workers N] [--resume ID]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from runs import sweep_cli
from runs.export import history_csv
from runs.store import Store, StoreError

COLUMNS = ("id", "state", "origin", "step", "best_exact", "solved_at", "created")


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "-"


def _summary(run: dict) -> str:
    c = run["config"]
    best = "-" if run["best_exact"] is None else f"{run['best_exact']:.3f}"
    return (f"{run['id']}  {run['state']:<11} {run['origin']:<6} {c['cell']} h{c['hidden']}x{c['layers']} "
            f"{c['bits']}b  step {run['step']:>8,}  exact {best}  solved at "
            f"{run['solved_at'] if run['solved_at'] is not None else '-'}  {_when(run['created'])}")


def _run(store: Store, run_id: str) -> dict:
    run = store.read_run(run_id)
    if run is None:
        raise StoreError(f"no run with id {run_id!r} in {store.path}")
    return run


def cmd_list(store: Store, args) -> None:
    runs = store.list_runs()
    if args.json:
        print(json.dumps(runs, indent=1))
    elif not runs:
        print(f"No runs in {store.path}.")
    else:
        for run in runs:
            print(_summary(run))


def cmd_show(store: Store, args) -> None:
    run = _run(store, args.id)
    if args.json:
        print(json.dumps(run, indent=1))
        return
    print(_summary(run))
    if run["message"]:
        print(run["message"])
    print("config: " + ", ".join(f"{k}={v}" for k, v in run["config"].items()))
    print(f"started {_when(run['started'])}, updated {_when(run['updated'])}, ended {_when(run['ended'])}")


def cmd_export(store: Store, args) -> None:
    _run(store, args.id)
    if args.npz:
        found = store.snapshot_bytes(args.id)
        if found is None:
            raise StoreError(f"run {args.id} has no weights yet")
        with open(args.npz, "wb") as f:
            f.write(found[1])
        print(f"Wrote the weights at step {found[0]:,} to {args.npz}.")
    else:
        hist = store.history(args.id)
        with open(args.csv, "w", newline="") as f:
            f.write(history_csv(hist))
        print(f"Wrote {len(hist['train']['step']):,} steps of history to {args.csv}.")


def cmd_resume(store: Store, args) -> None:
    from runs.service import elsewhere
    from runs.worker import Worker

    run = _run(store, args.id)
    if elsewhere(run):
        raise StoreError(f"run {args.id} is being trained by another process")
    if run["state"] in ("diverged", "failed"):
        raise StoreError(f"a {run['state']} run cannot be resumed")
    print(f"Resuming run {args.id} at step {run['step']:,}; Ctrl-C pauses it.")
    worker = Worker(store, args.id)
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.apply("pause", None)
    print(_summary(_run(store, args.id)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runs", description="Stored training runs.")
    parser.add_argument("--data", help="the data folder (default: $RNNLAB_DATA or ~/.rnnlab)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="every stored run, newest first")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("show", help="one run's details")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("export", help="write a run's latest weights (.npz) or its history (CSV)")
    p.add_argument("id")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--npz", metavar="PATH")
    what.add_argument("--csv", metavar="PATH")
    p = sub.add_parser("resume", help="continue a run here, in the foreground, until it ends")
    p.add_argument("id")
    sweep_cli.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        if args.command == "sweep":
            return sweep_cli.cmd_sweep(args, args.parser)
        store = Store(args.data)
        commands = {"list": cmd_list, "show": cmd_show, "export": cmd_export, "resume": cmd_resume}
        commands[args.command](store, args)
    except (StoreError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
