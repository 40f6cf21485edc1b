"""Presentation mode: the whole app set for a projector, and the header row every page shares.

One switch per browser tab, kept in the session and mirrored in the link as
``?present=1`` (so a shared link opens in it and a refresh keeps it). With it
on, the plot theme draws chart text at 18 px or more (:func:`ui.theme.presenting`),
page text, captions and tables are scaled up alike by one style sheet, and
long captions and dense numeric tables are folded away (:func:`caption`,
:func:`fold`): the pictures carry the message.

The router calls :func:`start` before the page (link -> session, theme, style,
the toggle at the top of the sidebar, the header) and :func:`finish` after it
(session -> link, the Copy-link box).
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import streamlit as st

from ui import theme
from ui.widget_state import WidgetState, ss

PARAM = "present"  # the link parameter
W = WidgetState("shell.")
_SEEN = "shell.present_seen"  # the link's value last taken into (or written from) the session
LONG_CAPTION = 140  # captions longer than this fold away in presentation mode
ON, OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

STYLE = """<style>
/* Presentation mode: page text, captions, tables and metrics scaled alike. */
.stApp .stMarkdown p, .stApp .stMarkdown li {font-size: 1.3rem; line-height: 1.45;}
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stCaptionContainer"] p {
  font-size: 1.15rem; color: #343a40;}
.stApp [data-testid="stMetricValue"] {font-size: 2.1rem;}
.stApp [data-testid="stMetricLabel"] p {font-size: 1.1rem;}
.stApp [data-testid="stTable"] table, .stApp table.sums {font-size: 1.3rem;}
.stApp table.sums .bin {font-size: 1.4rem;} .stApp table.sums .dec {font-size: 1.1rem;}
.stApp table.sums caption {font-size: 1.1rem;}
.stApp .task-picture {font-size: 1.35rem;} .stApp .task-caption {font-size: 1.05rem;}
.stApp [data-testid="stWidgetLabel"] p {font-size: 1.1rem;}
</style>"""


def on() -> bool:
    """Whether this tab is in presentation mode."""
    return bool(ss().get("shell.present", False))


def _from_link() -> None:
    """Take ``?present=`` into the session when the link brings a value the session has not seen."""
    raw = st.query_params.get(PARAM)
    if raw is None or raw == ss().get(_SEEN):
        return
    ss()[_SEEN] = raw
    value = raw.strip().lower()
    if value in ON or value in OFF:
        W.put("present", value in ON)
    else:
        st.toast(f"Presentation mode ({PARAM}): {raw[:40]!r} is not allowed; it takes 1 or 0.",
                 icon=":material/link_off:")


def _to_link() -> None:
    """Mirror the session's mode in the link (a page's own link writer may have dropped it)."""
    want = "1" if on() else None
    if st.query_params.get(PARAM) != want:
        if want is None:
            del st.query_params[PARAM]
        else:
            st.query_params[PARAM] = want
    ss()[_SEEN] = want


def apply_theme() -> None:
    """Set the plot theme for this run (also called by every live view, which may rerun on its own)."""
    theme.presenting(on())


def start(title: str):
    """Before the page: link -> session, the theme, the style sheet and the header row.

    Returns the Copy-link popover, filled by :func:`finish` once the page has written its link.
    """
    _from_link()
    apply_theme()
    if on():
        st.html(STYLE)
    # The toggle heads the sidebar of every page, so every page has one and the content column keeps
    # its place from page to page.
    st.sidebar.toggle("Presentation mode", key=W.bind("present", False), on_change=W.keep, args=("present",),
                      help="Large chart text and tables for a projector; long notes and dense tables fold "
                           f"away. Links carry it as ?{PARAM}=1.")
    with st.container(horizontal=True, vertical_alignment="center", key="page_header"):
        st.markdown(f"#### RNN Addition Lab · {title}", width="stretch")
        box = st.popover("Copy link", icon=":material/link:", width="content",
                         help="A link to this page as you see it: settings, sum, step and presentation mode.")
    return box


def page_url(params: dict[str, str]) -> str:
    """The address of this page with ``params`` as its query string."""
    base = (st.context.url or "").split("?", 1)[0]
    return base + ("?" + urlencode(params) if params else "")


def finish(box) -> None:
    """After the page: mirror the mode in the link and put the page's whole link in the Copy-link box."""
    _to_link()
    params = {k: st.query_params.get(k) for k in st.query_params if k != "key"}  # the key stays private
    with box:
        st.caption("Copy it with the button at the right of the box."
                   + (" Whoever opens it watches this run and can train a copy; only you control it."
                      if "run" in params else ""))
        st.code(page_url(params), language=None, wrap_lines=True)


def caption(text: str) -> None:
    """``st.caption``; in presentation mode a long one folds away under "Notes"."""
    if on() and len(text) > LONG_CAPTION:
        with st.expander("Notes", icon=":material/notes:"):
            st.caption(text)
    else:
        st.caption(text)


@contextlib.contextmanager
def fold(label: str):
    """A block that is shown as usual, but folded away (an expander called ``label``) in presentation mode."""
    if on():
        with st.expander(label, icon=":material/table:"):
            yield
    else:
        yield
