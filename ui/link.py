"""The configuration as a query string, so a link reproduces a run.

``to_params`` writes every :class:`engine.Config` field; ``from_params`` reads
them back, each value parsed by its :mod:`engine.schema` row (the same range
the engine, the command line and the widgets use). A field the link leaves out
takes its default silently; a malformed or out-of-range value falls back to
its default with a warning that names the field, shows the value (cut to 40
characters) and says what is allowed. A configuration the app will not train
live (:func:`engine.cost.live_problem`) is refused by that named rule.
Nothing here raises. ``read`` and ``write`` connect this to ``st.query_params``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import streamlit as st

from engine import schema
from engine.config import Config
from engine.cost import live_problem

DEFAULT = Config()
FIELDS = schema.FIELDS

# Link parameters of the shared shell, kept and not warned about: the presentation mode (ui.present)
# and the run the tab shows with its control key (ui.session).
SHELL_PARAMS = ("present", "run", "key")

def _format(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def to_params(config: Config) -> dict[str, str]:
    """Every field of ``config`` as a string, in declaration order."""
    return {name: _format(getattr(config, name)) for name in FIELDS}


def parse_value(name: str, text: str):
    """Convert one query value; raise ValueError naming the field and saying what is allowed."""
    return schema.parse(schema.BY_NAME[name], text)


def _shown(name: str, value) -> str:
    s = schema.BY_NAME[name]
    return schema.number(value) if s.kind in (int, float) else _format(value)


def from_params(params: Mapping[str, str | list[str]]) -> tuple[Config, list[str]]:
    """Read a Config from query parameters; returns it with warnings about what was replaced.

    A link without any configuration field (a plain visit, or another page's own
    parameters) means the defaults, without warnings; so do the fields a link leaves out.
    """
    if not set(params) & set(FIELDS):
        return DEFAULT, []
    warnings: list[str] = []
    unknown = sorted(set(params) - set(FIELDS) - set(SHELL_PARAMS))
    if unknown:
        names = ", ".join(schema.cut(name) for name in unknown[:5]) + (", …" if len(unknown) > 5 else "")
        warnings.append(f"Ignored unknown link parameter(s): {names}.")
    values, bad = {}, []
    for name in FIELDS:
        raw = params.get(name)
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        if raw is None:
            continue
        try:
            values[name] = parse_value(name, str(raw))
        except ValueError as e:
            bad.append((name, e))
    # What the link leaves out (or gets wrong) comes from the defaults, and for the classic loop
    # from the values it fixes: "?algorithm=classic&lr=0.1" is that loop with learning rate 0.1.
    base = dataclasses.replace(DEFAULT, algorithm=values.get("algorithm", DEFAULT.algorithm)).normalised()
    for name, e in bad:
        warnings.append(f"{e}; using the default {_shown(name, getattr(base, name))}.")
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
    heavy = live_problem(config)
    if heavy:
        warnings.append(f"{heavy} Using the defaults.")
        config = DEFAULT
    return config, warnings


def read() -> tuple[Config, list[str]]:
    """The Config in the page's query string (see :func:`from_params`)."""
    try:
        params = {k: st.query_params.get_all(k) for k in st.query_params}
    except Exception as e:  # a query string Streamlit itself cannot read
        return DEFAULT, [f"The link could not be read ({schema.cut(str(e))}); using the defaults."]
    return from_params(params)


def write(config: Config) -> None:
    """Put ``config`` into the query string (only when it changed, to keep the history clean)."""
    params = to_params(config)
    params.update({k: st.query_params[k] for k in SHELL_PARAMS if k in st.query_params})
    if {k: st.query_params.get(k) for k in st.query_params} != params:
        st.query_params.from_dict(params)
