"""The coordinator: sends a sweep's missing points to an executor and stores every result.

:func:`create_sweep` records a sweep before anything trains (for a grid, every
point as a queued run). :func:`run_sweep` trains what is missing: called again
on a sweep that was cancelled, or whose process was killed, it trains only the
points without a result. Workers return results; this module alone writes them,
one short transaction per finished point, so a killed coordinator loses at most
the points in flight.

:func:`start_sweep` runs the coordinator in a thread of the calling process,
registered by sweep id: in the web server a sweep belongs to the server, so
closing the page that started it changes nothing, and any page can find it
again with :func:`job`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from runs import executors
from runs.search import Search, SearchPlan
from runs.sweep import Grid, Point, SweepError, SweepSink, missing_points
from runs.sweep_point import FAILED, PointResult, train_point

POLL_S = 0.2  # how long the coordinator waits for a point before checking for a cancel
HEARTBEAT_S = 2.0  # how often a sink that wants it hears that the sweep's coordinator is alive


def spec_of(info: dict) -> Grid | Search:
    kinds = {"grid": Grid, "search": Search}
    if info["kind"] not in kinds:
        raise SweepError(f"sweep {info['id']} is of an unknown kind {info['kind']!r}")
    return kinds[info["kind"]].from_dict(info["spec"])


def create_sweep(spec: Grid | Search, sink: SweepSink) -> int:
    """Record ``spec`` (and a grid's points, queued) in the store; the new sweep's id."""
    configs = spec.configs() if isinstance(spec, Grid) else None  # refused before anything is written
    sweep_id = sink.create_sweep(spec.kind, spec.to_dict(), spec.count)
    if configs is not None:
        sink.add_points(sweep_id, configs)
    return sweep_id


class GridPlan:
    """A grid's points are all in the store from the start: hand out the missing ones."""

    def __init__(self, grid: Grid, sweep_id: int, sink: SweepSink):
        self._pending = missing_points(sink, sweep_id)

    def next_points(self, n: int) -> list[Point]:
        out, self._pending = self._pending[:n], self._pending[n:]
        return out

    def finished(self, point: Point, result: PointResult) -> None:
        pass


@dataclass
class Progress:
    """Where a sweep stands. ``done`` counts every point with a result (from earlier runs too);
    ``ran`` those trained by this coordinator, of which ``failed`` failed."""

    sweep_id: int
    total: int
    done: int = 0
    ran: int = 0
    failed: int = 0
    running: int = 0
    state: str = "running"  # running | finished | cancelled | error
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    run_ids: list = field(default_factory=list)  # runs trained by this coordinator, in finishing order

    @property
    def time_left_s(self) -> float | None:
        """Seconds until the last point is done, at this coordinator's pace so far (None before any)."""
        if self.ran == 0:
            return None
        return (time.monotonic() - self.started) / self.ran * max(0, self.total - self.done)


def run_sweep(sweep_id: int, sink: SweepSink, executor, on_progress: Callable | None = None,
              cancel: threading.Event | None = None) -> Progress:
    """Train the missing points of sweep ``sweep_id`` on ``executor``; returns the final progress.

    At most twice ``executor.slots`` points are handed out at a time, so a
    search learns from finished trials and a cancel leaves little queued. On
    ``cancel``, points not yet started are dropped and marked interrupted (a
    later call trains them); results already stored are kept.
    """
    try:
        info = sink.sweep(sweep_id)
    except KeyError:
        raise SweepError(f"there is no sweep {sweep_id}") from None
    spec = spec_of(info)
    plan = (GridPlan if isinstance(spec, Grid) else SearchPlan)(spec, sweep_id, sink)
    points = sink.points(sweep_id)
    progress = Progress(sweep_id, spec.count, done=sum(p.result is not None and p.state != FAILED
                                                         for p in points))
    in_flight: dict = {}  # future -> Point
    capacity = 2 * executor.slots

    def report():
        progress.running = len(in_flight)
        if on_progress is not None:
            on_progress(replace(progress, run_ids=list(progress.run_ids)))

    keep_alive = getattr(sink, "keep_alive", None)
    beat = 0.0
    report()
    while True:
        if keep_alive is not None and time.monotonic() - beat > HEARTBEAT_S:
            keep_alive(sweep_id)
            beat = time.monotonic()
        if cancel is not None and cancel.is_set():
            executor.cancel(list(in_flight))
            sink.interrupt_points([p.run_id for p in in_flight.values()])
            in_flight.clear()
            progress.state = "cancelled"
            break
        handed: list[Point] = []
        try:
            for point in plan.next_points(capacity - len(in_flight)):
                handed.append(point)
                in_flight[executor.submit(train_point, point.config, spec.stop_when_solved)] = point
        except Exception as e:  # e.g. a broken pool or a lost cluster: stop, keep what is done
            executor.cancel(list(in_flight))
            sink.interrupt_points([p.run_id for p in handed] + [p.run_id for p in in_flight.values()])
            in_flight.clear()
            progress.state, progress.error = "error", f"{type(e).__name__}: {e}"
            break
        if not in_flight:
            progress.state = "finished"
            break
        for fut in executor.wait_any(list(in_flight), POLL_S):
            point = in_flight.pop(fut)
            try:
                result = fut.result()
            except Exception as e:  # the worker itself died (train_point never raises)
                result = PointResult.failed(f"the worker running this point stopped: {type(e).__name__}: {e}")
            sink.finish_point(point.run_id, result)
            plan.finished(point, result)
            progress.ran += 1
            progress.failed += result.state == FAILED
            progress.done += result.state != FAILED
            progress.run_ids.append(point.run_id)
        report()
    report()
    return progress


class SweepJob:
    """A coordinator running in a background thread; see :func:`start_sweep`."""

    def __init__(self, sweep_id: int, sink_factory: Callable[[], SweepSink], executor_factory: Callable):
        self.sweep_id = sweep_id
        self._cancel = threading.Event()
        self.progress = Progress(sweep_id, 0)
        self._thread = threading.Thread(target=self._main, args=(sink_factory, executor_factory),
                                        name=f"sweep-{sweep_id}", daemon=True)

    def _main(self, sink_factory, executor_factory) -> None:
        try:
            with executor_factory() as ex:
                run_sweep(self.sweep_id, sink_factory(), ex, self._update, self._cancel)
        except Exception as e:  # keep the reason where a page can show it
            self.progress = replace(self.progress, state="error", error=f"{type(e).__name__}: {e}")

    def _update(self, progress: Progress) -> None:
        self.progress = progress

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def cancel(self) -> None:
        """Stop handing out points; those not started are marked interrupted, finished ones kept."""
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the coordinator to end; whether it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


_JOBS: dict[int, SweepJob] = {}
_LOCK = threading.Lock()


def start_sweep(sweep_id: int, sink_factory: Callable[[], SweepSink],
                executor_factory: Callable = executors.make_executor) -> SweepJob:
    """Run sweep ``sweep_id`` in the background of this process (a running one is returned as is)."""
    with _LOCK:
        running = _JOBS.get(sweep_id)
        if running is not None and running.alive:
            return running
        _JOBS[sweep_id] = sweep_job = SweepJob(sweep_id, sink_factory, executor_factory)
        sweep_job._thread.start()
        return sweep_job


def job(sweep_id: int) -> SweepJob | None:
    """The coordinator this process started for ``sweep_id`` (running or ended), if any."""
    with _LOCK:
        return _JOBS.get(sweep_id)
