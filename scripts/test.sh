#!/usr/bin/env bash
# Install everything the test suite needs, then run it.
#
#   bash scripts/test.sh            # the whole suite
#   bash scripts/test.sh -m "not browser and not slow"   # extra arguments go to pytest
#
# Installs the dev requirements with pip, and Debian's chromium (for the
# browser tests) with apt-get when /usr/bin/chromium is missing. Exits
# non-zero when a test fails or when no test ran at all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || PYTHON=python
sudo=()
[[ "$(id -u)" == 0 ]] || sudo=(sudo)
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "$@"
}

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    echo "==> pip is missing; bootstrapping it"
    "$PYTHON" -m ensurepip --upgrade >/dev/null 2>&1 || apt_install python3-pip
fi

pip_args=(--disable-pip-version-check --quiet)
if "$PYTHON" -c 'import sys; sys.exit(sys.prefix != sys.base_prefix)'; then
    # Not in a virtual environment: a Debian system Python refuses pip (PEP 668).
    if "$PYTHON" -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(
            os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
        if [[ "${CI:-}" =~ ^([Tt]rue|TRUE|1|yes)$ ]]; then
            pip_args+=(--break-system-packages)
        else
            echo "This Python is managed by the system; create and activate a virtual environment first:" >&2
            echo "  python3 -m venv .venv && . .venv/bin/activate && bash scripts/test.sh" >&2
            exit 1
        fi
    fi
    [[ "$(id -u)" == 0 ]] && pip_args+=(--root-user-action=ignore)
fi
echo "==> pip install -r requirements-dev.txt"
"$PYTHON" -m pip install "${pip_args[@]}" -r requirements-dev.txt

if [[ ! -x /usr/bin/chromium ]]; then
    echo "==> apt-get install chromium fonts-dejavu-core (for the browser tests)"
    if command -v apt-get >/dev/null; then
        apt_install chromium fonts-dejavu-core
    else
        echo "apt-get not found: install Chromium at /usr/bin/chromium to run the browser tests" >&2
    fi
fi

echo "==> python -m pytest $*"
status=0
"$PYTHON" -m pytest "$@" || status=$?
if [[ $status == 5 ]]; then
    echo "error: no tests ran (pytest exit code 5)" >&2
    exit 1
fi
exit "$status"
