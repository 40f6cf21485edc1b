"""A widget for any :mod:`engine.schema` setting: its label, help, range or choices from its row.

``setting_widget(name, key, box)`` draws the widget that fits the setting's
kind (a checkbox, a select box or radio for choices, a log-scale select slider,
a slider or a number input for numbers) with exactly the schema's range, so a
widget never offers what the engine refuses, nor hides what it allows.
"""

from __future__ import annotations

import math

import streamlit as st

from engine import schema

LIVE_NOTE = "Takes effect at once, without a reset."


def log_choices(s: schema.Setting, current: float | None = None) -> list[float]:
    """1, 2 and 5 per decade across the setting's range, plus ``current`` if it is not one of them."""
    first, last = math.floor(math.log10(s.lo)), math.ceil(math.log10(s.hi))
    grid = {float(f"{m}e{e}") for e in range(first, last + 1) for m in (1, 2, 5)}
    values = {v for v in grid if s.lo <= v <= s.hi} | {float(s.lo), float(s.hi)}
    if current is not None and not schema.problem(s, current):
        values.add(float(current))
    return sorted(values)


def help_text(s: schema.Setting) -> str:
    return f"{s.help} {LIVE_NOTE}" if s.live else s.help


def setting_widget(name: str, key: str, box=None, *, disabled: bool = False, help: str | None = None,
                   on_change=None, args: tuple = (), value=None):
    """Draw the widget of setting ``name`` under widget key ``key`` in ``box`` (default: the page).

    ``value``: the widget's default (else the range's low end or first choice). Give the setting's
    kept value: a browser that rebuilds a widget (seen when a slow browser falls behind timed
    fragments) reports the widget's default as a change, and that must be the value it showed.
    """
    s = schema.BY_NAME[name]
    box = st if box is None else box
    kw = {"key": key, "disabled": disabled, "help": help or help_text(s), "on_change": on_change,
          "args": args}
    if s.kind is bool:
        return box.checkbox(s.label, value=bool(value), **kw)
    if s.choices:
        index = s.choices.index(value) if value in s.choices else 0
        if s.widget == "radio":
            return box.radio(s.label, s.choices, index=index, format_func=s.show, horizontal=True, **kw)
        return box.selectbox(s.label, s.choices, index=index, format_func=s.show, **kw)
    if s.log:
        options = log_choices(s, st.session_state.get(key))
        return box.select_slider(f"{s.label} (log scale)", options, format_func=schema.number,
                                 value=value if value in options else None, **kw)
    lo, hi, step = s.kind(s.lo), s.kind(s.hi), s.kind(s.step)
    start = s.kind(value) if value is not None else lo
    if s.widget == "slider":
        return box.slider(s.label, lo, hi, value=start, step=step, **kw)
    return box.number_input(s.label, lo, hi, value=start, step=step, **kw)


def widget_value(name: str, value):
    """A widget's value as the setting's type (number inputs may hand back 16.0 for 16)."""
    s = schema.BY_NAME[name]
    if s.kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if s.kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
