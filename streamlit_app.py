"""RNN Addition Lab: the router.

Sets the page up, draws the header every page shares (title, Copy link,
presentation mode), shows the run status on every page that shows the run (it
updates, and training goes on, whichever page is open) and runs the chosen page.
"""

import streamlit as st

from ui import live, present, routing

st.set_page_config(page_title="RNN Addition Lab", page_icon="➕", layout="wide")

page = routing.navigation()
copy_box = present.start(page.title)
status = st.container()  # filled after the page, so it knows whether the page has live views
with live.page_run():
    page.run()
    if routing.shows_run(page):
        with status:
            live.status_bar()
    else:
        live.background()  # the addition run trains on, without a place on this page
present.finish(copy_box)
