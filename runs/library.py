"""Deleting a stored run from the Runs page: any run that is not queued or training.

The page needs no control key for this (it lists every stored run); a run that is
active is refused, so whoever trains it (a visitor, a sweep, the command line)
pauses or stops it first. A paused run may still have an idle worker waiting for
Play: it is asked to exit ("release") before the run's rows go, so no worker
writes to a run that no longer exists.
"""

from __future__ import annotations

import time

from runs.catalog import ACTIVE
from runs.service import RunError, elsewhere
from runs.store import Store

RELEASE_WAIT = 10.0  # seconds an idle worker gets to exit before the run is deleted anyway


def discard(store: Store, run_id: str, wait: float = RELEASE_WAIT) -> None:
    """Delete run ``run_id`` with everything stored for it; :class:`RunError` (saying why) if it
    does not exist or is queued or training."""
    run = store.read_run(run_id)
    if run is None:
        raise RunError("there is no such run (it may have been deleted already)")
    if run["state"] in ACTIVE:
        raise RunError(f"this run is {run['state']}: it can be deleted once it is paused or has ended")
    if elsewhere(run):  # an idle worker holds it: let it exit first
        store.send_command(run_id, "release")
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            now = store.read_run(run_id)
            if now is None or not elsewhere(now):
                break
            time.sleep(0.05)
    store.delete_run(run_id)
