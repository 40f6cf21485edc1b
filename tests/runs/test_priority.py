"""Background workers' priority: lower than their parent's, only ever lowered, and counted across
sessions where the kernel shares the CPU between sessions (autogroups)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runs import priority

ROOT = Path(__file__).resolve().parents[2]


def child(code: str, **options) -> list[str]:
    """Run ``code`` in a fresh interpreter (its priority changes stay there); its printed words."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=True, **options)
    return out.stdout.split()


def test_start_lowers_the_priority_by_the_amount_asked_and_remembers_the_parents():
    nice, base = child("from runs import priority; priority.start(3); "
                       "print(priority.niceness(), priority.base())")
    assert int(base) == os.nice(0)
    assert int(nice) == min(19, os.nice(0) + 3)


def test_lower_never_raises_the_priority_and_stops_at_19():
    words = child("from runs import priority; priority.start(5); b = priority.base(); "
                  "priority.lower(b + 2); print(priority.niceness()); priority.lower(b + 40); "
                  "print(priority.niceness())")
    assert words == [str(min(19, os.nice(0) + 5)), "19"]


def test_a_process_that_was_not_started_as_a_worker_keeps_its_priority():
    assert child("from runs import priority; print(priority.base(), priority.niceness())") == \
        ["None", str(os.nice(0))]


@pytest.mark.skipif(not priority.autogroups(), reason="this kernel does not share the CPU between sessions")
def test_a_worker_in_its_own_session_lowers_its_sessions_share_too():
    options = priority.spawn_options()
    assert options == {"start_new_session": True}
    code = ("import os; from runs import priority; priority.start(7); "
            "print(os.getsid(0) == os.getpid(), priority.session_niceness())")
    assert child(code, **options) == ["True", str(min(19, os.nice(0) + 7))]
    # a process that shares its parent's session leaves the session's priority alone
    assert child(code)[1] == str(priority.session_niceness())
