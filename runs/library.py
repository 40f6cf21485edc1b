"""Deleting a stored run from the Runs page: any run that is not queued or training.

A run started on a page has a control key: only the tab holding it (its owner) may delete the
run, so visitors sharing a server cannot delete each other's runs. Other runs (sweeps', the
command line's) need no key. A run that is active is refused, so whoever trains it pauses or
stops it first. A paused run may still have an idle worker waiting for
Play: it is asked to exit ("release") before the run's rows go, so no worker
writes to a run that no longer exists.
"""

from __future__ import annotations

import time

from runs.catalog import ACTIVE
from runs.service import RunError, elsewhere
from runs.store import Store

RELEASE_WAIT = 10.0  # seconds an idle worker gets to exit before the run is deleted anyway


def discard(store: Store, run_id: str, key: str | None = None, wait: float = RELEASE_WAIT) -> None:
    """Delete run ``run_id`` with everything stored for it; :class:`RunError` (saying why) if it
    does not exist, is queued or training, or is a page's run and ``key`` is not its key."""
    run = store.read_run(run_id)
    if run is None:
        raise RunError("there is no such run (it may have been deleted already)")
    if store.has_key(run_id) and not store.check_key(run_id, key):
        raise RunError("it belongs to the browser tab that started it, and only that tab can delete it")
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
