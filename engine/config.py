"""Training configuration and named presets.

A :class:`Config` is frozen, so it can key a cache and be compared; the UI
builds one from its widgets (or the query string) and hands it to the trainer.
:meth:`Config.validate` checks every field and says what is allowed.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields

CELLS = ("rnn", "lstm", "gru")
ACTIVATIONS = ("sigmoid", "tanh", "relu")
OPTIMIZERS = ("sgd", "momentum", "adam")
LOSSES = ("mse", "bce")
INITS = ("uniform", "xavier")
DTYPES = ("float64", "float32")

# What the classic algorithm (engine.classic, the tutorial's per-sample loop) always does: a
# one-layer sigmoid RNN without biases, weights U[-1, 1), plain SGD on half the summed squared
# error, one sum per step, float64, no clipping or dropout. A classic Config must have exactly
# these values; the fields left out (hidden, bits, lr, steps, seed, eval_every) are its settings.
CLASSIC_FIXED: dict[str, object] = {
    "cell": "rnn", "layers": 1, "activation": "sigmoid", "bias": False, "init": "uniform", "batch": 1,
    "optimizer": "sgd", "loss": "mse", "clip": 0.0, "keep_prob": 1.0, "dtype": "float64",
}


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class Config:
    # --- model ---
    cell: str = "rnn"  # rnn | lstm | gru
    hidden: int = 16  # units per recurrent layer
    layers: int = 1  # stacked recurrent layers
    activation: str = "sigmoid"  # hidden activation of the vanilla RNN (sigmoid | tanh | relu)
    bias: bool = True  # learn biases in the cells and the read-out
    init: str = "xavier"  # "uniform": U[-1, 1) as the tutorial; "xavier": Glorot uniform
    forget_bias: float = 1.0  # LSTM forget-gate bias at start (remember by default)
    keep_prob: float = 1.0  # dropout keep probability on each recurrent layer's output while training
    dtype: str = "float64"  # precision of weights and arithmetic (gradient checks always use float64)
    # --- task ---
    bits: int = 8  # width of the numbers trained on (1-64)
    # --- optimisation ---
    batch: int = 64  # sums per training step
    optimizer: str = "adam"  # sgd | momentum | adam
    lr: float = 0.05  # learning rate (may change between steps)
    loss: str = "bce"  # bce | mse
    clip: float = 0.0  # clip gradients to this global norm; 0 turns clipping off
    steps: int = 1000  # training budget in steps
    seed: int = 0  # seeds initial weights, data order and dropout
    eval_every: int = 20  # evaluate on the evaluation set every this many steps
    # --- trainer family ---
    algorithm: str = "batched"  # "batched" (vectorised trainer) | "classic" (the tutorial's per-sample loop)

    def validate(self) -> Config:
        """Return self if every field is allowed, else raise ValueError naming the field."""
        problems = []

        def choice(name, allowed):
            if getattr(self, name) not in allowed:
                problems.append(f"{name} must be one of {', '.join(allowed)} (got {getattr(self, name)!r})")

        def whole(name, lo, hi):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                problems.append(f"{name} must be a whole number from {lo} to {hi} (got {v!r})")

        def real(name, lo, hi, lo_open=False):
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
            ok = ok and v == v and ((lo < v) if lo_open else (lo <= v)) and v <= hi
            if not ok:
                left = "above" if lo_open else "from"
                problems.append(f"{name} must be a number {left} {lo} up to {hi} (got {v!r})")

        choice("cell", CELLS)
        choice("activation", ACTIVATIONS)
        choice("optimizer", OPTIMIZERS)
        choice("loss", LOSSES)
        choice("init", INITS)
        choice("dtype", DTYPES)
        choice("algorithm", ("batched", "classic"))
        whole("hidden", 1, 512)
        whole("layers", 1, 4)
        whole("bits", 1, 64)
        whole("batch", 1, 4096)
        whole("steps", 1, 10_000_000)
        whole("seed", 0, 2**32 - 1)
        whole("eval_every", 1, 1_000_000)
        real("lr", 0.0, 100.0, lo_open=True)
        real("clip", 0.0, 1e6)
        real("keep_prob", 0.0, 1.0, lo_open=True)
        real("forget_bias", -10.0, 10.0)
        if not isinstance(self.bias, bool):
            problems.append(f"bias must be true or false (got {self.bias!r})")
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
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
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
