"""RNN Addition Lab: the router.

Sets the page up, shows the run status on every page (it updates, and
training goes on, whichever page is open) and runs the chosen page.
"""

import streamlit as st

from ui import live, routing

st.set_page_config(page_title="RNN Addition Lab", page_icon="➕", layout="wide")

page = routing.navigation()
st.markdown(f"#### RNN Addition Lab · {page.title}")
status = st.container()  # filled after the page, so it knows whether the page has live views
with live.page_run():
    page.run()
    with status:
        live.status_bar()
