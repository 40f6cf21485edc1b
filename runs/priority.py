"""Process priority of background work (run workers, sweep workers): below the web server's, for real.

``nice`` alone is not enough on Linux kernels with autogroup scheduling
(``/proc/sys/kernel/sched_autogroup_enabled``, on by default in most desktop distributions): the CPU
is shared first between sessions, equally, and nice values only count within a session. A worker
in the server's session then takes the session's share whenever the server is idle, as much as the
browser of a teacher presenting from the same machine gets. So, where the kernel has autogroups,
a worker leads a session of its own (:func:`spawn_options`) and lowers its session's priority
along with its own (:func:`lower`); a session at nice 19 weighs 1/68 of one at 0.

Lowering works without privileges; raising a priority back needs them, so :func:`lower` only ever
lowers. A worker process calls :func:`start` first thing, before it imports NumPy; :func:`base` is then
the priority it started with (the server's), from which its later stages count.
"""

from __future__ import annotations

import os
from pathlib import Path

AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")
OWN_AUTOGROUP = Path("/proc/self/autogroup")  # "/autogroup-123 nice 0"
LOWEST = 19
_base: int | None = None  # the nice value this process started with, once start() lowered it


def autogroups() -> bool:
    """Whether this kernel shares the CPU between sessions (autogroup scheduling is on)."""
    try:
        return AUTOGROUP_SWITCH.read_text().strip() == "1" and OWN_AUTOGROUP.exists()
    except OSError:
        return False


def spawn_options() -> dict:
    """``subprocess.Popen`` keywords for a background worker: a session of its own where the kernel
    has autogroups (so its lower priority counts against every other session), else a process
    group of its own. Either way a Ctrl-C in the server's terminal reaches the server only (the
    worker notices its parent gone and exits)."""
    return {"start_new_session": True} if autogroups() else {"process_group": 0}


def niceness() -> int:
    """This process's nice value."""
    return os.getpriority(os.PRIO_PROCESS, 0)


def session_niceness() -> int | None:
    """The nice value of this process's autogroup, or None where there is none to read."""
    try:
        return int(OWN_AUTOGROUP.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def lower(to: int) -> None:
    """Lower this process's priority to nice ``to`` (at most 19); never raise it. When the process
    leads its own session on a kernel with autogroups, the session's nice value follows (from the
    session the worker starts with, nice 0, it is the same amount below a server at nice 0)."""
    to = min(LOWEST, to)
    try:
        if to > niceness():
            os.setpriority(os.PRIO_PROCESS, 0, to)
    except OSError:  # not permitted here: run at the priority there is rather than not at all
        pass
    if os.getsid(0) != os.getpid() or not autogroups():
        return
    now = session_niceness()
    if now is not None and to > now:
        try:
            OWN_AUTOGROUP.write_text(str(to))
        except OSError:
            pass


def start(added: int) -> None:
    """A background worker's first step: remember the priority it inherited (the server's) and lower
    its own (and its session's) by ``added``."""
    global _base
    _base = niceness()
    lower(_base + added)


def base() -> int | None:
    """The nice value this process had before :func:`start` (None: not started as a background worker,
    e.g. a worker object in a test or a command line's own process, which keep their priority)."""
    return _base
