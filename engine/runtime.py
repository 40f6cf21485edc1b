"""Process settings that suit the engine's many small array operations.

Nothing here runs on import: the programs built on the engine (the command
line, the app, the benchmarks, the test suite) call :func:`tune_process` at
start-up. Both settings only change speed, never results:

- BLAS threads: the engine's matrices are tiny (16 x 16 at batch 64), so extra
  BLAS threads only add hand-off overhead and contend with other sessions.
  ``OPENBLAS_NUM_THREADS`` is read when NumPy loads, so it is set here only
  for programs that call this before importing NumPy (``python -m engine``);
  the app limits an already loaded BLAS with threadpoolctl (ui/session.py).
  A value set by the user wins.
- glibc malloc: evaluation builds traces of ~16 MB arrays. By default glibc
  hands such blocks back to the kernel when freed and page-faults them in
  again on the next evaluation, which cost more than the arithmetic itself
  (evaluation took ~170 ms instead of ~12 ms). Raising the mmap and trim
  thresholds keeps them in the heap for reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum on 64-bit
TRIM_THRESHOLD = 256 * 1024 * 1024


def tune_process() -> bool:
    """Apply the settings; returns whether glibc accepted the malloc tuning.

    ``RNN_LAB_NO_MALLOC_TUNING=1`` leaves the allocator alone.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if os.environ.get("RNN_LAB_NO_MALLOC_TUNING"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): leave the defaults
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
