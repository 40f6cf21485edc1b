"""Where sweep points train: a local process pool, or a Dask ``distributed`` cluster.

Both run :func:`runs.sweep_point.train_point` (or any picklable function) away
from the coordinator and hand back its return value; only the coordinator
writes the store. :func:`make_executor` picks one: a Dask cluster when
``RNNLAB_DASK=tcp://host:port`` is set (its workers need this project
importable, e.g. started from the project folder or with it on
``PYTHONPATH``), else :class:`LocalExecutor`.

The local pool's processes run at a lower OS priority than the process that
starts them (``nice`` :data:`NICE` more), so a web server serving live pages on
the same machine answers first however many points train.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
import time

NICE = 10  # added niceness of local sweep workers (19 is the lowest priority)
DASK_ENV = "RNNLAB_DASK"


def default_workers() -> int:
    """Local worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """End this process soon after ``parent`` is gone (killed with SIGKILL, it cannot tell us)."""
    def watch():
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _init_worker(nice: int, parent: int) -> None:
    """Start-up of a local worker: lower its priority, one BLAS thread, the engine's malloc tuning,
    and end when the coordinator's process ends, however it ends."""
    _exit_with_parent(parent)
    if nice:
        try:
            os.nice(nice)
        except OSError:  # not permitted here: run at the same priority rather than not at all
            pass
    from engine.runtime import tune_process  # (after the priority change)

    tune_process()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # the engine's matrices are tiny: extra BLAS threads only contend


class LocalExecutor:
    """A pool of ``workers`` spawned processes, niced by ``nice``.

    Processes are spawned (not forked), so a multi-threaded server can start a
    pool safely; each imports the engine once and trains point after point.
    """

    kind = "local"

    def __init__(self, workers: int | None = None, nice: int = NICE):
        self.workers = workers or default_workers()
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1 (got {self.workers})")
        self._pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(nice, os.getpid()))

    @property
    def slots(self) -> int:
        """Points that can train at the same time."""
        return self.workers

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers != 1 else ''}"

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    def wait_any(self, futures: list, timeout: float) -> list:
        """The futures among ``futures`` that are done, waiting up to ``timeout`` s for one."""
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def cancel(self, futures: list) -> None:
        """Cancel the futures that have not started (a running point finishes in its process)."""
        for f in futures:
            f.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DaskExecutor:
    """Points run as tasks on a Dask ``distributed`` cluster at ``address`` (``tcp://host:port``)."""

    kind = "dask"

    def __init__(self, address: str, timeout: float = 30.0):
        try:
            from distributed import Client  # (only when a cluster is configured)
        except ImportError as e:
            raise RuntimeError(f"{DASK_ENV} is set but the 'distributed' package is missing: {e}") from None
        self.address = address
        try:
            self._client = Client(address, timeout=timeout)
        except OSError as e:
            raise RuntimeError(f"could not reach the Dask scheduler at {address} ({DASK_ENV}): {e}") from None

    @property
    def slots(self) -> int:
        return max(1, sum(self._client.nthreads().values()))

    def describe(self) -> str:
        return f"the Dask cluster at {self.address} ({self.slots} worker threads)"

    def submit(self, fn, *args):
        return self._client.submit(fn, *args, pure=False)

    def wait_any(self, futures: list, timeout: float) -> list:
        from distributed import wait

        try:
            done, _ = wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        return list(done)

    def cancel(self, futures: list) -> None:
        self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_executor(workers: int | None = None):
    """A Dask executor when ``RNNLAB_DASK`` names a scheduler, else a local pool of ``workers``."""
    address = os.environ.get(DASK_ENV, "").strip()
    if address:
        return DaskExecutor(address)
    return LocalExecutor(workers)
