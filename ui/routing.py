"""Make every visit go through the router in ``streamlit_app.py``.

Streamlit decides per process whether an app is a "pages folder" app: until
``st.navigation`` has run once, a visit that opens a page's own URL (say a
shared link to ``/xor`` right after the server started) runs that file from
``pages/`` on its own, without the router's status bar, menu and state. Each
page calls :func:`require_router` first: in that case it switches the process
to ``st.navigation`` and reruns, and the rerun goes through the router to the
same page.
"""

from __future__ import annotations

import streamlit as st


def require_router() -> None:
    """Rerun through the router if Streamlit ran this page file on its own."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the pages-folder mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        st.rerun()
