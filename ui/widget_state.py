"""Settings kept in the session beyond a page's visit, each bound to one widget: how every page
(and the shared hyperparameter widgets of :mod:`ui.controls`) keeps widget state.

Streamlit forgets a widget's state while its page is not shown. A page's
setting ``name`` therefore lives under ``<prefix><name>`` and is copied into
the widget key ``<prefix><name>.w`` whenever Streamlit has dropped it; the
widget's ``on_change=keep, args=(name,)`` copies it back (or the page calls
``keep(name)`` once the widget is drawn). ``put`` sets both, before the widget
is drawn or from a callback.
"""

from __future__ import annotations

import streamlit as st


def ss():
    return st.session_state


class WidgetState:
    """The bound settings of one page, every key starting with ``prefix`` (e.g. ``"xor."``)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def key(self, name: str) -> str:
        """The widget key of setting ``name``."""
        return self.prefix + name + ".w"

    def value(self, name: str):
        """The widget's current value (the kept one before the widget is drawn)."""
        return ss()[self.prefix + name + ".w"]

    def bind(self, name: str, default) -> str:
        """The widget key of setting ``name``, restored from the kept value when Streamlit forgot it."""
        ss().setdefault(self.prefix + name, default)
        key = self.prefix + name + ".w"
        if key not in ss():
            ss()[key] = ss()[self.prefix + name]
        return key

    def hold(self, name: str, default) -> str:
        """Like :meth:`bind`, with the kept value as the truth: the widget is set to it before it is
        drawn whenever the two differ. Only the widget's ``on_change=keep`` changes the kept value, so
        a widget state Streamlit dropped or put back to the widget's default without a user's change
        (seen on a busy server with timed fragments) comes back as it was."""
        kept = ss().setdefault(self.prefix + name, default)
        key = self.prefix + name + ".w"
        if key not in ss() or ss()[key] != kept:
            ss()[key] = kept
        return key

    def kept(self, name: str):
        """The kept value of setting ``name``."""
        return ss()[self.prefix + name]

    def keep(self, name: str) -> None:
        """on_change: remember the widget's value beyond this page's visit."""
        ss()[self.prefix + name] = ss()[self.prefix + name + ".w"]

    def put(self, name: str, value) -> None:
        """Set a setting and its widget (from a callback or before the widget is drawn)."""
        ss()[self.prefix + name] = ss()[self.prefix + name + ".w"] = value
