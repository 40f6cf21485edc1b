"""A page's own state in its link (the Unrolled sum and step, the Gradients and XOR settings).

The Train page's configuration has :mod:`ui.link`; this is the same idea for
every other page, with the same kind of message. A page lists its
:class:`Field` s, calls :func:`read` before drawing its widgets (it returns
the values of a link that is new to the page: a shared link, a refresh, an
edited address) and :func:`write` after (the page's state becomes the link,
which the header's Copy-link box shows). A malformed or out-of-range value
is never used: it is reported by :func:`show_warnings` (the field's label, the
value cut to 40 characters, what is allowed in plain numbers) and the page
keeps its own value. Nothing here raises.

Parameter names are the page's own; ``present`` belongs to the shell
(:mod:`ui.present`) and is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from ui.link import SHELL_PARAMS
from ui.widget_state import ss

MAX_TEXT = 40
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def cut(text: str) -> str:
    """``text`` shortened to :data:`MAX_TEXT` characters for a message."""
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def number(x) -> str:
    """A number as people write it: 4,294,967,295, 0.00001, 2.5."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e16:
        return f"{int(x):,}"
    return f"{x:.12f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Field:
    """One link parameter of a page: ``name`` in the link, ``label`` in messages, what it allows.

    ``kind`` is int, float, bool or str; numbers lie in ``low``..``high``; ``choices`` (strings, as
    written in the link) limit a str or number field; ``check`` is a further test of a str's value
    (returns what is wrong, or "").
    """

    name: str
    label: str
    kind: type = str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    check: Callable[[str], str] | None = None
    above_low: bool = False  # the low end itself is not allowed (a learning rate above 0)

    def allowed(self) -> str:
        if self.kind is bool:
            return "true or false"
        if self.choices:
            return "one of " + ", ".join(number(c) if not isinstance(c, str) else c for c in self.choices)
        if self.kind in (int, float):
            kind = "a whole number" if self.kind is int else "a number"
            low = f"above {number(self.low)}" if self.above_low else f"from {number(self.low)}"
            return f"{kind} {low} to {number(self.high)}"
        return "text"

    def parse(self, text: str):
        """The value ``text`` means; ValueError (for a person) when it is not allowed."""
        t = text.strip()
        value, problem = None, ""
        if self.kind is bool:
            if t.lower() in TRUE or t.lower() in FALSE:
                value = t.lower() in TRUE
        elif self.kind is int:
            if t.lstrip("-").isascii() and t.lstrip("-").isdigit():
                value = int(t)
        elif self.kind is float:
            try:
                value = float(t)
            except ValueError:
                value = None
            if value is not None and not math.isfinite(value):
                value = None
        else:
            value = t
            problem = self.check(t) if self.check else ""
        if value is not None and self.kind in (int, float) and not self.choices:
            low_ok = value > self.low if self.above_low else value >= self.low
            if not (low_ok and value <= self.high):
                value = None
        if value is not None and self.choices and value not in self.choices:
            value = None
        if value is None or problem:
            reason = problem or f"it takes {self.allowed()}"
            raise ValueError(f"{self.label} ({self.name}): {cut(text)!r} is not allowed; {reason}")
        return value

    def format(self, value) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, float):
            return number(value).replace(",", "")
        return str(value)


def _params() -> dict[str, str]:
    try:
        return {k: st.query_params.get(k) for k in st.query_params}
    except Exception:  # noqa: BLE001 -- a query string Streamlit itself cannot read is no link
        return {}


def read(page: str, fields: list[Field]) -> dict:
    """The values of this page's fields in a link new to the page ({} otherwise).

    Values that are not allowed are left out and reported (see :func:`show_warnings`).
    """
    params = _params()
    mine = {f.name: params[f.name] for f in fields if f.name in params}
    if not mine or mine == ss().get(page + ".link_written"):
        return {}
    ss()[page + ".link_written"] = mine  # taken: a rerun with the same link changes nothing
    values, warnings = {}, []
    for f in fields:
        if f.name in mine:
            try:
                values[f.name] = f.parse(str(mine[f.name]))
            except ValueError as e:
                warnings.append(f"{e}; kept the page's own value.")
    ss()[page + ".link_warnings"] = warnings
    return values


def write(page: str, fields: list[Field], values: dict) -> dict[str, str]:
    """Make the page's state (``values``: field name -> value) the link; returns its parameters."""
    mine = {f.name: f.format(values[f.name]) for f in fields if f.name in values}
    params = _params()
    want = {**mine, **{k: params[k] for k in SHELL_PARAMS if k in params}}
    if params != want:
        st.query_params.from_dict(want)
    ss()[page + ".link_written"] = mine
    return mine


def show_warnings(page: str) -> None:
    """What the link had that could not be used, with a button to dismiss it."""
    warnings = ss().get(page + ".link_warnings") or []
    if not warnings:
        return
    with st.container(border=True):
        st.warning("Some of the link could not be used:\n\n" + "\n".join(f"- {w}" for w in warnings),
                   icon=":material/link_off:")
        st.button("Dismiss", key=page + ".dismiss_link", on_click=ss().pop, args=(page + ".link_warnings",))
