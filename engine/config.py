"""Training configuration and named presets.

A :class:`Config` has one field per row of :data:`engine.schema.SETTINGS`
(same name, type and default); :meth:`Config.validate` checks every field
against its row and says what is allowed. It is frozen, so it can key a cache
and be compared; the UI builds one from its widgets (or the query string) and
hands it to the trainer.
"""

from __future__ import annotations

import dataclasses
import json

from engine.schema import (  # noqa: F401 -- the choices are re-exported for callers
    ACTIVATIONS,
    ALGORITHMS,
    CELLS,
    CLASSIC_FIXED,
    DTYPES,
    FIELDS,
    INITS,
    LOSSES,
    OPTIMIZERS,
    SETTINGS,
    problem,
)


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class _ConfigMethods:
    """What every Config does; its fields come from :data:`engine.schema.SETTINGS`."""

    __slots__ = ()

    def validate(self) -> Config:
        """Return self if every field is allowed, else raise ValueError naming every wrong field."""
        problems = [p for s in SETTINGS if (p := problem(s, getattr(self, s.name)))]
        if self.algorithm == "classic":
            wrong = [f"{name} {_show(value)} (got {_show(getattr(self, name))})"
                     for name, value in CLASSIC_FIXED.items() if getattr(self, name) != value]
            if wrong:
                problems.append("the classic algorithm trains a one-layer sigmoid RNN one sample at a time "
                                f"and uses {', '.join(wrong)}; the batched algorithm can change these")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def normalised(self) -> Config:
        """A copy with the fields the classic algorithm fixes set to its values (self if batched).

        Not validated: the other fields may still be out of range.
        """
        if self.algorithm != "classic":
            return self
        return dataclasses.replace(self, **CLASSIC_FIXED)

    def replace(self, **changes) -> Config:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes).validate()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> Config:
        """Build and validate a Config; unknown keys are an error."""
        if not isinstance(d, dict):
            raise ValueError("a configuration must be a mapping of field names to values")
        unknown = sorted(set(d) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown configuration field(s): {', '.join(unknown)}")
        return cls(**d).validate()

    @classmethod
    def from_json(cls, text: str) -> Config:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"configuration is not valid JSON: {e}") from None
        return cls.from_dict(d)

    @property
    def architecture(self) -> tuple:
        """The fields that shape the weights; changing any of them needs a fresh model."""
        return (self.cell, self.hidden, self.layers, self.activation, self.bias, self.init,
                self.forget_bias, self.bits, self.seed, self.algorithm, self.dtype)


# One field per schema row, in the schema's order, with the row's type and default (see
# engine/schema.py for what each means and allows). Frozen, so a Config can key a cache.
Config = dataclasses.make_dataclass(
    "Config", [(s.name, s.kind, s.default) for s in SETTINGS], bases=(_ConfigMethods,), frozen=True,
    namespace={"__module__": __name__, "__doc__": "The settings of one run (see :mod:`engine.schema`)."})


PRESETS: dict[str, Config] = {
    # The default: solves 8-bit addition in a few hundred steps.
    "fast": Config(),
    # Reference 000 exactly: per-sample SGD on half the summed squared error,
    # hidden 16, sigmoid, no biases, weights U[-1, 1), learning rate 0.1.
    "classic": Config(
        cell="rnn", hidden=16, activation="sigmoid", bias=False, init="uniform", batch=1,
        optimizer="sgd", lr=0.1, loss="mse", steps=100_000, seed=0, eval_every=1000,
        algorithm="classic",
    ),
    # Reference 002: two layers of 20 LSTM units, output keep probability 0.5,
    # Adam with its default settings, mean squared error, batch 64, 2000 steps,
    # float32 as in its TensorFlow graph (same results as float64 here, 2.4x faster).
    # Two departures let it solve every sum within 2000 steps despite dropout
    # (with Glorot weights and forget bias 1 some seeds are not solved): weights
    # U[-1, 1) as the tutorial's RNN, and forget bias -2, since a sum needs only
    # the previous step's carry, so a cell that forgets by default learns sooner.
    "lstm": Config(
        cell="lstm", hidden=20, layers=2, keep_prob=0.5, optimizer="adam", lr=0.001,
        loss="mse", batch=64, steps=2000, eval_every=50, init="uniform", forget_bias=-2.0,
        dtype="float32",
    ),
}


def preset(name: str) -> Config:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
