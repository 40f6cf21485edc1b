"""The configuration as a query string, so a link reproduces a run.

``to_params`` writes every :class:`engine.Config` field; ``from_params`` reads
them back, checking each value on its own. A missing, malformed or
out-of-range value falls back to its default and adds a warning for a person
to read; nothing here raises. ``read`` and ``write`` connect this to
``st.query_params``.

The ranges in :data:`LIMITS` are what the app offers (narrower than the
engine allows in places, e.g. 2-16 bits for training); the widgets in
:mod:`ui.controls` use the same table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import streamlit as st

from engine.config import ACTIVATIONS, CELLS, DTYPES, INITS, LOSSES, OPTIMIZERS, Config

DEFAULT = Config()

# Allowed values per field: a tuple of choices, or (low, high) for numbers.
CHOICES: dict[str, tuple[str, ...]] = {
    "cell": CELLS, "activation": ACTIVATIONS, "init": INITS, "optimizer": OPTIMIZERS,
    "loss": LOSSES, "algorithm": ("batched", "classic"), "dtype": DTYPES,
}
LIMITS: dict[str, tuple[float, float]] = {
    "hidden": (1, 256), "layers": (1, 4), "bits": (2, 16), "batch": (1, 1024),
    "steps": (1, 1_000_000), "seed": (0, 2**32 - 1), "eval_every": (1, 100_000),
    "lr": (1e-5, 10.0), "clip": (0.0, 1000.0), "keep_prob": (0.05, 1.0), "forget_bias": (-10.0, 10.0),
}
INTS = ("hidden", "layers", "bits", "batch", "steps", "seed", "eval_every")
FLOATS = ("lr", "clip", "keep_prob", "forget_bias")
BOOLS = ("bias",)
FIELDS = tuple(f.name for f in dataclasses.fields(Config))

def _format(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def to_params(config: Config) -> dict[str, str]:
    """Every field of ``config`` as a string, in declaration order."""
    return {name: _format(getattr(config, name)) for name in FIELDS}


def _allowed(name: str) -> str:
    if name in CHOICES:
        return "one of " + ", ".join(CHOICES[name])
    if name in BOOLS:
        return "true or false"
    if name not in LIMITS:
        return f"a value like {_format(getattr(DEFAULT, name))}"
    lo, hi = LIMITS[name]
    kind = "a whole number" if name in INTS else "a number"
    return f"{kind} from {lo:g} to {hi:g}"


def _parse_other(name: str, text: str):
    """A field this module has no table for: the default's type, checked by ``Config.validate``."""
    kind = type(getattr(DEFAULT, name))
    try:
        value = {bool: lambda t: parse_value("bias", t), int: int, float: float}.get(kind, str)(text.strip())
        DEFAULT.replace(**{name: value})
    except (ValueError, TypeError):
        raise ValueError(f"{name}={text!r} is not allowed ({_allowed(name)})") from None
    return value


def parse_value(name: str, text: str):
    """Convert one query value; raise ValueError with what is allowed."""
    t = text.strip().lower()
    if name not in CHOICES and name not in BOOLS and name not in LIMITS:
        return _parse_other(name, text)
    if name in CHOICES:
        if t in CHOICES[name]:
            return t
    elif name in BOOLS:
        if t in ("true", "1", "yes", "on"):
            return True
        if t in ("false", "0", "no", "off"):
            return False
    elif name in INTS:
        lo, hi = LIMITS[name]
        if t.lstrip("-").isdigit() and lo <= int(t) <= hi:
            return int(t)
    else:
        lo, hi = LIMITS[name]
        try:
            v = float(t)
        except ValueError:
            v = math.nan
        if math.isfinite(v) and lo <= v <= hi and not (name in ("lr", "keep_prob") and v <= 0):
            return v
    raise ValueError(f"{name}={text!r} is not allowed ({_allowed(name)})")


def from_params(params: Mapping[str, str | list[str]]) -> tuple[Config, list[str]]:
    """Read a Config from query parameters; returns it with warnings about what was replaced.

    A link without any configuration field (a plain visit, or another page's own
    parameters) means the defaults, without warnings.
    """
    if not set(params) & set(FIELDS):
        return DEFAULT, []
    warnings: list[str] = []
    unknown = sorted(set(params) - set(FIELDS))
    if unknown:
        warnings.append(f"Ignored unknown link parameter(s): {', '.join(unknown)}.")
    values, missing, bad = {}, [], []
    for name in FIELDS:
        raw = params.get(name)
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        if raw is None:
            missing.append(name)
            continue
        try:
            values[name] = parse_value(name, str(raw))
        except ValueError as e:
            bad.append((name, e))
    # What the link leaves out (or gets wrong) comes from the defaults, and for the classic loop
    # from the values it fixes: "?algorithm=classic&lr=0.1" is that loop with learning rate 0.1.
    base = dataclasses.replace(DEFAULT, algorithm=values.get("algorithm", DEFAULT.algorithm)).normalised()
    for name, e in bad:
        warnings.append(f"{e}; using the default {_format(getattr(base, name))}.")
    if missing:
        warnings.append(f"The link does not set {', '.join(missing)}; using the default(s).")
    try:
        config = dataclasses.replace(base, **values).validate()
    except ValueError as e:  # e.g. a classic link that sets a batch size
        values["algorithm"] = "batched"
        try:
            config = dataclasses.replace(DEFAULT, **values).validate()
            warnings.append(f"{e}; switched to the batched trainer.")
        except ValueError as e2:
            config = DEFAULT
            warnings.append(f"The linked configuration is not usable ({e2}); using the defaults.")
    return config, warnings


def read() -> tuple[Config, list[str]]:
    """The Config in the page's query string (see :func:`from_params`)."""
    try:
        params = {k: st.query_params.get_all(k) for k in st.query_params}
    except Exception as e:  # a query string Streamlit itself cannot read
        return DEFAULT, [f"The link could not be read ({e}); using the defaults."]
    return from_params(params)


def write(config: Config) -> None:
    """Put ``config`` into the query string (only when it changed, to keep the history clean)."""
    params = to_params(config)
    if {k: st.query_params.get(k) for k in st.query_params} != params:
        st.query_params.from_dict(params)
