"""Sweeps: a grid of settings times seeds, or a search, each point a run in the store.

A grid is lists of values for any setting (``lr=[0.01, 0.1], hidden=[8, 16],
cell=["rnn", "gru"]``) times seeds: every combination is trained once per seed.
A search (:mod:`runs.search`) lets Optuna's TPE sampler choose the points.
Either way the coordinator (:func:`run_sweep`) sends points to an executor
(:mod:`runs.executors`), and writes every result through a :class:`SweepSink`;
workers never touch the store. A sweep is recorded before it trains (its
spec and, for a grid, every point as a queued run), so one stopped in any way
is completed by running :func:`run_sweep` again: only the missing points train.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Protocol

from engine import schema
from engine.config import Config
from runs.sweep_point import PointResult

MAX_RUNS = 1000  # a grid or search larger than this is refused before anything starts
DONE_STATES = ("solved", "finished", "diverged")  # a point in one of these is not trained again


class SweepError(ValueError):
    """A sweep cannot be defined or started; the message says why and what is allowed."""


# --- settings -----------------------------------------------------------------
# What a sweep can vary, and how a value is read and checked, come from engine.schema's rows.

SETTINGS = tuple(n for n in schema.FIELDS if n not in ("algorithm", "seed"))  # the seed: --seeds


def setting(name: str) -> schema.Setting:
    """The schema row of a setting a sweep can vary."""
    if name not in SETTINGS:
        raise SweepError(f"{name!r} is not a setting a sweep can vary; choose from {', '.join(SETTINGS)}")
    return schema.BY_NAME[name]


def setting_kind(name: str) -> type:
    """The Python type of a setting's values (bool, int, float or str)."""
    return setting(name).kind


def parse_value(name: str, text: str):
    """One value of setting ``name`` from text, checked against the schema's range or choices."""
    row = setting(name)
    try:
        return schema.parse(row, text)
    except ValueError as e:
        raise SweepError(f"{row.flag}: {e}") from None


def parse_values(name: str, text: str) -> tuple:
    """The values of ``name`` from a comma-separated list (``"0.01,0.1"``), each checked."""
    items = [s.strip() for s in str(text).split(",")]
    if not text or "" in items:
        raise SweepError(f"--{name.replace('_', '-')}: give a comma-separated list of values (got {text!r})")
    values = tuple(parse_value(name, s) for s in items)
    if len(set(values)) != len(values):
        raise SweepError(f"--{name.replace('_', '-')}: a value is listed twice in {text!r}")
    return values


def check_count(count: int, what: str = "grid") -> int:
    """``count`` if it is within :data:`MAX_RUNS`, else a SweepError saying so."""
    if count > MAX_RUNS:
        raise SweepError(f"this {what} makes {count:,} runs, more than the limit of {MAX_RUNS:,}; "
                         "use fewer values, seeds or trials")
    if count < 1:
        raise SweepError(f"this {what} makes no runs")
    return count


# --- grids --------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    """Every combination of ``axes`` over ``base``, once per seed in ``seeds``.

    ``axes`` is ``((setting, (value, ...)), ...)``; points come in the order of
    :func:`itertools.product` with the seed varying fastest.
    """

    base: Config
    axes: tuple[tuple[str, tuple], ...] = ()
    seeds: tuple[int, ...] = (0,)
    stop_when_solved: bool = True  # stop each run at the step that solves it

    kind = "grid"

    @property
    def count(self) -> int:
        return math.prod(len(v) for _, v in self.axes) * len(self.seeds)

    def describe(self) -> str:
        """How the count comes about: ``"2 lr x 3 hidden x 4 seeds = 24 runs"``."""
        parts = [f"{len(v)} {name}" for name, v in self.axes] + [f"{len(self.seeds)} seed(s)"]
        return f"{' x '.join(parts)} = {self.count:,} run{'s' if self.count != 1 else ''}"

    def configs(self) -> list[Config]:
        """Every point's configuration (refused over :data:`MAX_RUNS`)."""
        check_count(self.count)
        names = [name for name, _ in self.axes]
        out = []
        for combo in itertools.product(*(v for _, v in self.axes), self.seeds):
            try:
                out.append(self.base.replace(**dict(zip(names, combo[:-1], strict=True)), seed=combo[-1]))
            except ValueError as e:
                point = dict(zip(names, combo, strict=False))
                raise SweepError(f"the point {point} is not allowed: {e}") from None
        return out

    def to_dict(self) -> dict:
        return {"base": self.base.to_dict(), "axes": [[n, list(v)] for n, v in self.axes],
                "seeds": list(self.seeds), "stop_when_solved": self.stop_when_solved}

    @classmethod
    def from_dict(cls, d: dict) -> Grid:
        return cls(Config.from_dict(d["base"]), tuple((n, tuple(v)) for n, v in d["axes"]),
                   tuple(d["seeds"]), bool(d.get("stop_when_solved", True)))


def make_grid(base: Config, values: dict[str, str], seeds: int = 1, stop_when_solved: bool = True) -> Grid:
    """A grid from option text (``{"lr": "0.01,0.1", "hidden": "8,16"}``) and a number of seeds.

    A setting given one value is part of the base, not an axis. The seeds are
    ``base.seed`` onwards. Raises SweepError, saying what was
    wrong, for a bad value or a grid over :data:`MAX_RUNS`.
    """
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise SweepError(f"--seeds must be a whole number of at least 1 (got {seeds!r})")
    parsed = {name: parse_values(name, text) for name, text in values.items()}
    fixed = {name: v[0] for name, v in parsed.items() if len(v) == 1}  # one value: part of the base
    try:
        base = base.replace(**fixed)
    except ValueError as e:
        raise SweepError(str(e)) from None
    axes = tuple((name, v) for name, v in parsed.items() if len(v) > 1)
    grid = Grid(base, axes, tuple(range(base.seed, base.seed + seeds)), stop_when_solved)
    check_count(grid.count)
    return grid


# --- the store, as a sweep sees it ---------------------------------------------

@dataclass(frozen=True)
class Point:
    """A run of a sweep as the store holds it (``result`` is None until it has trained)."""

    run_id: str
    config: Config
    state: str
    result: PointResult | None = None


class SweepSink(Protocol):
    """The narrow interface through which a sweep reads and writes the run store."""

    def create_sweep(self, kind: str, spec: dict, total: int) -> int:
        """Record a new sweep (its kind, spec as JSON-able dict and planned run count); its id."""

    def sweep(self, sweep_id: int) -> dict:
        """``{"id", "kind", "spec", "total"}`` of a sweep; KeyError when there is none."""

    def add_points(self, sweep_id: int, configs: list[Config]) -> list[str]:
        """Add queued runs (origin "sweep", tagged with the sweep) in one transaction; their ids."""

    def finish_point(self, run_id: str, result: PointResult) -> None:
        """Store a trained point's result, history and weights, and its final state."""

    def interrupt_points(self, run_ids: list[str]) -> None:
        """Mark runs that were stopped before they finished (they stay missing)."""

    def points(self, sweep_id: int, full: bool = False) -> list[Point]:
        """Every run of the sweep, in the order added (results with history and weights if ``full``).

        A sink may also have ``keep_alive(sweep_id)``, called every few seconds while
        a coordinator runs the sweep."""


def missing_points(sink: SweepSink, sweep_id: int) -> list[Point]:
    """The sweep's runs that have not trained to a result yet (queued, interrupted or failed)."""
    return [p for p in sink.points(sweep_id) if p.state not in DONE_STATES]
