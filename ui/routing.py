"""The page table and the two things that make every page's URL work from the first visit.

The router (``streamlit_app.py``) calls :func:`navigation` once per run. Page
folders sit in ``pages/`` as the product's layout asks, and that costs two
detours, both kept here:

- **The first visit to a fresh server.** Streamlit 1.67 treats the first
  script run of a freshly started server as an old-style multipage app
  whenever a top-level ``pages/`` folder exists: that run takes the ``*.py``
  files directly in ``pages/`` as the app's pages, before any code of ours
  runs, and a URL naming none of them opens with a "Page not found" dialog.
  So ``pages/`` holds one two-line file per page URL (``pages/_xor.py`` for
  ``/xor``: Streamlit drops a leading underscore from the name, and ``pages.xor`` stays
  the folder) that calls :func:`run_router`; on that first run Streamlit finds the
  page by its URL, the file runs the router, and the router's
  ``st.navigation`` takes over for good (later runs never see those files).
  ``tests/app/test_routing.py`` fails when Streamlit stops doing this, so
  the files can go.
- **``/train``.** The default page is served at ``/``, so a hidden page at
  ``/train`` sends a visitor there, the link's settings kept.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
ROUTER = ROOT / "streamlit_app.py"

# The pages in menu order: (URL path, title, icon). Page ``name`` is pages/<name>/page.py, with
# pages/_<name>.py beside it for a first visit (see above); the first one is the default.
PAGES = [
    ("train", "Train", ":material/model_training:"),
    ("unrolled", "Unrolled", ":material/view_week:"),  # step through one sum
    ("gradients", "Gradients", ":material/trending_down:"),  # BPTT, gradient check
    ("xor", "XOR", ":material/grid_on:"),  # the XOR playground
    ("sweeps", "Sweeps", ":material/grid_view:"),  # grids and searches of settings
    ("runs", "Runs", ":material/table_rows:"),  # every stored run: compare, open, download, delete
]


OWN_STATUS = {"xor"}  # pages that show a run of their own, not the session's addition run
SETTLES_RUN = {"train"}  # pages whose own widgets change the session's run: they draw its status bar


def name_of(page: st.Page) -> str:
    """The name of ``page`` in :data:`PAGES` (its folder in ``pages/``)."""
    return page.url_path or PAGES[0][0]


def shows_run(page: st.Page) -> bool:
    """Whether ``page`` shows the session's run status bar (every page but those in :data:`OWN_STATUS`)."""
    return name_of(page) not in OWN_STATUS


def settles_run(page: st.Page) -> bool:
    """Whether ``page`` draws the status bar itself, once its widgets have changed the run
    (``ui.status.show_status``); the router draws it before every other page."""
    return name_of(page) in SETTLES_RUN


def page_script(name: str) -> str:
    """The script of page ``name``, relative to the router."""
    return f"pages/{name}/page.py"


def navigation() -> st.Page:
    """Register the pages with ``st.navigation`` (menu on top); return the one to run."""
    pages = [st.Page(page_script(name), title=title, icon=icon, url_path="" if i == 0 else name,
                     default=i == 0)
             for i, (name, title, icon) in enumerate(PAGES)]
    default_name = PAGES[0][0]

    def to_default() -> None:
        st.switch_page(pages[0], query_params=st.query_params.to_dict())

    alias = st.Page(to_default, title=PAGES[0][1], url_path=default_name, visibility="hidden")
    return st.navigation([*pages, alias], position="top")


def run_router() -> None:
    """Run the router in place of a ``pages/_<name>.py`` file (the first visit to a fresh server)."""
    runpy.run_path(str(ROUTER), run_name="__main__")
