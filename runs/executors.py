"""Where sweep points train: a local pool of worker processes, or a Dask ``distributed`` cluster.

Both run :func:`runs.sweep_point.train_point` (or any picklable function)
away from the coordinator and hand back its return value; only the
coordinator writes the store. :func:`make_executor` picks one: a Dask cluster
when ``RNNLAB_DASK=tcp://host:port`` is set (its workers need this project
importable, e.g. started from the project folder or with it on
``PYTHONPATH``), else :class:`LocalExecutor`.

The local workers are fresh interpreters (``python -c``) fed through pipes,
not :mod:`multiprocessing` children: those re-run the parent's ``__main__``,
which in a Streamlit server is whichever page script is running. They run at
a lower OS priority than the process that starts them (``nice`` :data:`NICE`
more, in sessions of their own where the kernel shares the CPU between sessions:
see :mod:`runs.priority`), so a web server serving live pages on the same machine,
and a live run's worker, answer first however many points train; and they end when
that process ends, however it ends.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from runs import priority

NICE = 19  # added niceness of local sweep workers (19: the lowest priority; a live run's worker is above)
DASK_ENV = "RNNLAB_DASK"
ROOT = str(Path(__file__).resolve().parents[1])  # the project folder, where ``runs`` is importable
_HEADER = struct.Struct("<Q")


def default_workers() -> int:
    """Local worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class WorkerDied(RuntimeError):
    """The process running a task ended before it answered."""


def _send(pipe, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_HEADER.pack(len(data)) + data)
    pipe.flush()


def _receive(pipe):
    """The next object on ``pipe``; EOFError when the other end has closed."""
    def read(n):
        data = pipe.read(n)
        if len(data) < n:
            raise EOFError
        return data

    (size,) = _HEADER.unpack(read(_HEADER.size))
    return pickle.loads(read(size))


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """End this process soon after ``parent`` is gone (killed with SIGKILL, it cannot tell us)."""
    def watch():
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def worker_main() -> None:
    """A local worker: ``python -c "from runs.executors import worker_main; worker_main()" NICE PARENT``.

    Reads ``(function, args)`` from stdin, answers ``(True, value)`` or
    ``(False, error text)`` on stdout, until stdin closes or the parent dies.
    """
    nice, parent = int(sys.argv[1]), int(sys.argv[2])
    from runs import priority

    priority.start(nice)  # before anything heavy loads
    from engine.runtime import tune_process

    tune_process()  # before NumPy loads: one BLAS thread, big arrays kept in the heap
    _exit_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the coordinator, which stops us
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not break the channel
    while True:
        try:
            fn, args = _receive(inbox)
        except EOFError:
            return
        try:
            answer = (True, fn(*args))
        except Exception as e:
            answer = (False, f"{type(e).__name__}: {e}")
        _send(outbox, answer)


class LocalExecutor:
    """``workers`` local worker processes, niced by ``nice``; tasks are taken in submission order.

    Each process imports the engine once and trains point after point; one
    that dies fails its task (:class:`WorkerDied`) and is replaced for the next.
    """

    kind = "local"

    def __init__(self, workers: int | None = None, nice: int = NICE):
        self.workers = workers or default_workers()
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1 (got {self.workers})")
        self.nice = nice
        self._closed = False
        self._tasks: queue.Queue = queue.Queue()
        self._procs: list[subprocess.Popen | None] = [None] * self.workers
        self._running: list[cf.Future | None] = [None] * self.workers
        self._threads = [threading.Thread(target=self._serve, args=(i,), name=f"sweep-worker-{i}",
                                          daemon=True) for i in range(self.workers)]
        for t in self._threads:
            t.start()

    @property
    def slots(self) -> int:
        """Points that can train at the same time."""
        return self.workers

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers != 1 else ''}"

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [p.pid for p in self._procs if p is not None and p.poll() is None]

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
        return subprocess.Popen(
            [sys.executable, "-c", "from runs.executors import worker_main; worker_main()",
             str(self.nice), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=env, **priority.spawn_options())

    def _serve(self, i: int) -> None:
        proc = self._procs[i] = self._start()
        while (task := self._tasks.get()) is not None:
            fut, fn, args = task
            if not fut.set_running_or_notify_cancel():
                continue
            self._running[i] = fut
            try:
                if proc.poll() is not None:
                    proc = self._procs[i] = self._start()
                _send(proc.stdin, (fn, args))
                ok, value = _receive(proc.stdout)
            except (EOFError, OSError):
                fut.set_exception(WorkerDied(f"the worker process ended (exit code {proc.wait()})"))
                continue
            finally:
                self._running[i] = None
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(RuntimeError(value))
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def submit(self, fn, *args) -> cf.Future:
        if self._closed:
            raise RuntimeError("this executor is closed")
        fut: cf.Future = cf.Future()
        self._tasks.put((fut, fn, args))
        return fut

    def wait_any(self, futures: list, timeout: float) -> list:
        """The futures among ``futures`` that are done, waiting up to ``timeout`` s for one."""
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def cancel(self, futures: list) -> None:
        """Drop the futures: those waiting are cancelled, the processes running the others are
        stopped (a fresh process takes the next task)."""
        for f in futures:
            f.cancel()
        wanted = set(map(id, futures))
        for i, running in enumerate(self._running):
            proc = self._procs[i]
            if running is not None and id(running) in wanted and proc is not None:
                proc.kill()

    def close(self, wait: bool = True) -> None:
        """Cancel what has not started, let running tasks finish (or, without ``wait``, stop
        them), end the processes."""
        self._closed = True
        if not wait:
            for proc in self._procs:
                if proc is not None:
                    proc.kill()
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task[0].cancel()
        for _ in self._threads:
            self._tasks.put(None)
        for t in self._threads:
            t.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DaskExecutor:
    """Points run as tasks on a Dask ``distributed`` cluster at ``address`` (``tcp://host:port``)."""

    kind = "dask"

    def __init__(self, address: str, timeout: float = 10.0):
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

    def close(self, wait: bool = True) -> None:
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
