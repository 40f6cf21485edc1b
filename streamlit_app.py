"""RNN Addition Lab: the router.

Sets the page up, draws the header every page shares (title, Copy link,
presentation mode), shows the run status on every page that shows the run (it
updates whichever page is open; training goes on in a worker process) and runs
the chosen page.
"""

import functools

import streamlit as st

from ui import controls, live, present, routing, run_link, status

st.set_page_config(page_title="RNN Addition Lab", page_icon="➕", layout="wide")

page = routing.navigation()
copy_box = present.start(page.title)
shows_run = routing.shows_run(page)
slot = st.container() if shows_run else None  # above the page: the status bar
if shows_run:
    run_link.follow_link()  # a link to a run (shared, refreshed, opened from the Runs page) shows that run
# The run's buttons head the status bar; Reset belongs to the Train page's settings.
buttons = functools.partial(controls.run_controls, key="train", reset=routing.name_of(page) == "train")
with live.page_run(slot, buttons):
    if not routing.settles_run(page):
        status.show_status()  # first, so a click shows at once; the Train page draws it after its settings
    page.run()
    status.show_status()
if shows_run:
    run_link.write_link()
present.finish(copy_box)
