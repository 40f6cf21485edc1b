"""Settings shared by the whole test suite."""

import os
import shutil
import tempfile

from engine.runtime import tune_process

tune_process()  # as the app and the command line do (before NumPy loads): speed only, never results

from hypothesis import settings  # noqa: E402

# Runs made by tests (and by app servers the browser tests start) go to a scratch folder, never
# into the user's own run store; a test that needs its own folder sets RNNLAB_DATA itself.
_SCRATCH = None if os.environ.get("RNNLAB_DATA") else tempfile.mkdtemp(prefix="rnnlab-tests-")
if _SCRATCH:
    os.environ["RNNLAB_DATA"] = _SCRATCH

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# No per-example deadline (a busy 2-core machine must not fail a property test
# for being slow); in CI the examples are derived from the test itself, so a
# run can be repeated exactly.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if IN_CI else "dev")

_passed = 0


def pytest_runtest_logreport(report):
    global _passed
    if report.when == "call" and report.passed:
        _passed += 1


def pytest_sessionfinish(session, exitstatus):
    if _SCRATCH:
        shutil.rmtree(_SCRATCH, ignore_errors=True)
    # In CI a run in which every test was skipped proves nothing: fail it like
    # an empty run ("no tests ran").
    if IN_CI and exitstatus == 0 and _passed == 0:
        session.exitstatus = 5
