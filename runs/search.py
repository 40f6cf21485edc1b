"""Searches: Optuna's TPE sampler chooses the points, minimising steps-to-solve.

A search varies some settings over ranges (``lr`` from 0.001 to 0.3 on a log
scale, ``hidden`` from 4 to 32, ``cell`` among rnn and gru) for a number of
trials; each trial is one run of ``base`` with the proposed values. The
objective is the step at which the run was solved, with unsolved, diverged and
failed runs counting as the whole step budget, so "fastest to learn" wins and
never learning is the worst.

Nothing of Optuna's is stored: the runs are the record. Resuming a search
replays its finished runs into a fresh study (same ranges, same sampler seed),
trains its unfinished ones again and asks for the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.config import Config
from runs.sweep import (
    Point,
    SweepError,
    SweepSink,
    check_count,
    parse_value,
    parse_values,
    setting,
    setting_kind,
)
from runs.sweep_point import PointResult


@dataclass(frozen=True)
class Range:
    """The values a search may give one setting: ``low``..``high`` (numbers) or ``choices``."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    def distribution(self):
        """The matching Optuna distribution."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.choices:
            return CategoricalDistribution(self.choices)
        if setting_kind(self.name) is int:
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def contains(self, value) -> bool:
        if self.choices:
            return value in self.choices
        return self.low <= value <= self.high

    def to_list(self) -> list:
        return [self.name, self.low, self.high, self.log, list(self.choices)]

    @classmethod
    def from_list(cls, row: list) -> Range:
        name, low, high, log, choices = row
        return cls(name, low, high, bool(log), tuple(choices))


def parse_range(name: str, text: str) -> Range:
    """A range from option text: ``"0.001:0.3:log"``, ``"4:32"`` or a list of choices ``"rnn,gru"``.

    Without ``:log`` or ``:linear``, the scale is the schema's (the learning rate's is log).
    """
    flag = "--" + name.replace("_", "-")
    if ":" not in text:
        return Range(name, choices=parse_values(name, text))
    parts = [s.strip() for s in text.split(":")]
    scale = parts[2].lower() if len(parts) == 3 else ("log" if setting(name).log else "linear")
    if len(parts) not in (2, 3) or scale not in ("log", "linear"):
        raise SweepError(f"{flag}: write a range as low:high, low:high:log or low:high:linear (got {text!r})")
    log = scale == "log"
    kind = setting_kind(name)
    if kind not in (int, float):
        raise SweepError(f"{flag}: {name} takes a list of choices, not a range (got {text!r})")
    low, high = parse_value(name, parts[0]), parse_value(name, parts[1])
    if not low < high:
        raise SweepError(f"{flag}: the low end must be below the high end (got {text!r})")
    if log and low <= 0:
        raise SweepError(f"{flag}: a log-scale range must start above 0 (got {text!r})")
    return Range(name, low, high, log)


@dataclass(frozen=True)
class Search:
    """A TPE search: ``trials`` runs of ``base`` with the settings in ``ranges`` chosen by the sampler."""

    base: Config
    ranges: tuple[Range, ...]
    trials: int
    sampler_seed: int = 0
    stop_when_solved: bool = True

    kind = "search"

    @property
    def count(self) -> int:
        return self.trials

    def describe(self) -> str:
        names = ", ".join(r.name for r in self.ranges)
        return f"{self.trials:,} trial{'s' if self.trials != 1 else ''} over {names} = {self.trials:,} runs"

    def objective(self, result: PointResult) -> int:
        return result.steps_to_solve(self.base.steps)

    def to_dict(self) -> dict:
        return {"base": self.base.to_dict(), "ranges": [r.to_list() for r in self.ranges],
                "trials": self.trials, "sampler_seed": self.sampler_seed,
                "stop_when_solved": self.stop_when_solved}

    @classmethod
    def from_dict(cls, d: dict) -> Search:
        return cls(Config.from_dict(d["base"]), tuple(Range.from_list(r) for r in d["ranges"]),
                   int(d["trials"]), int(d.get("sampler_seed", 0)), bool(d.get("stop_when_solved", True)))


def make_search(base: Config, values: dict[str, str], trials: int, sampler_seed: int = 0,
                stop_when_solved: bool = True) -> Search:
    """A search from option text (``{"lr": "0.001:0.3:log", "cell": "rnn,gru", "steps": "500"}``)."""
    if not isinstance(trials, int) or isinstance(trials, bool):
        raise SweepError(f"--trials must be a whole number (got {trials!r})")
    check_count(trials, "search")
    fixed = {name: parse_value(name, text) for name, text in values.items() if not set(text) & set(",:")}
    try:
        base = base.replace(**fixed)  # a setting given one value is part of the base
    except ValueError as e:
        raise SweepError(str(e)) from None
    ranges = tuple(parse_range(name, text) for name, text in values.items() if name not in fixed)
    if not ranges:
        raise SweepError("a search needs at least one setting to vary, e.g. --lr 0.001:0.3:log")
    return Search(base, ranges, trials, sampler_seed, stop_when_solved)


class SearchPlan:
    """Feeds a search's points to the coordinator: its unfinished runs first, then new trials.

    ``next_points(n)`` adds up to ``n`` new runs to the store (each a trial the
    sampler proposes, told to it as pending so parallel trials spread out) and
    returns them; ``finished(point, result)`` tells the sampler the objective.
    """

    def __init__(self, search: Search, sweep_id: int, sink: SweepSink):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.search, self.sweep_id, self.sink = search, sweep_id, sink
        self.dists = {r.name: r.distribution() for r in search.ranges}
        sampler = optuna.samplers.TPESampler(seed=search.sampler_seed, constant_liar=True)
        self.study = optuna.create_study(direction="minimize", sampler=sampler)
        self._trials: dict[str, object] = {}  # run id -> the optuna trial asked for it
        points = sink.points(sweep_id)
        for p in points:
            if p.result is not None and p.state != "failed":
                self._replay(p.config, p.result)
        self._pending = [p for p in points if p.result is None or p.state == "failed"]
        self._added = len(points)

    def params(self, config: Config) -> dict:
        return {name: getattr(config, name) for name in self.dists}

    def _replay(self, config: Config, result: PointResult) -> None:
        from optuna.trial import create_trial

        self.study.add_trial(create_trial(params=self.params(config), distributions=self.dists,
                                          value=self.search.objective(result)))

    def next_points(self, n: int) -> list:
        out = self._pending[:n]
        self._pending = self._pending[len(out):]
        while len(out) < n and self._added < self.search.trials:
            trial = self.study.ask(self.dists)
            try:
                config = self.search.base.replace(**trial.params)
            except ValueError as e:  # a combination the engine refuses: no run, and the sampler learns
                self.study.tell(trial, state=_failed_state())
                raise SweepError(f"the search proposed settings the engine refuses: {e}") from None
            (run_id,) = self.sink.add_points(self.sweep_id, [config])
            self._added += 1
            self._trials[run_id] = trial
            out.append(Point(run_id, config, "queued"))
        return out

    def finished(self, point, result: PointResult) -> None:
        trial = self._trials.pop(point.run_id, None)
        value = self.search.objective(result)
        if trial is None:
            self._replay(point.config, result)
        else:
            self.study.tell(trial, value)

    def best(self) -> tuple[dict, float] | None:
        """The best trial's settings and steps-to-solve so far (None before any has finished)."""
        done = [t for t in self.study.trials if t.value is not None and math.isfinite(t.value)]
        if not done:
            return None
        t = min(done, key=lambda t: t.value)
        return t.params, t.value


def _failed_state():
    from optuna.trial import TrialState

    return TrialState.FAIL
