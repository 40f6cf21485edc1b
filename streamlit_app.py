"""RNN Addition Lab: the router.

Sets the page up, shows the run status on every page (it updates, and
training goes on, whichever page is open) and runs the chosen page.
"""

from pathlib import Path

import streamlit as st

from ui import live

st.set_page_config(page_title="RNN Addition Lab", page_icon="➕", layout="wide")

HERE = Path(__file__).parent
# The pages in menu order: (file, title, icon, URL path). The first one is the default.
# A page appears once its file exists.
PAGES = [
    ("pages/train/page.py", "Train", ":material/model_training:", "train"),
    ("pages/unrolled/page.py", "Unrolled", ":material/view_week:", "unrolled"),  # step through one sum
    ("pages/gradients/page.py", "Gradients", ":material/trending_down:", "gradients"),  # BPTT, gradient check
    ("pages/xor/page.py", "XOR", ":material/grid_on:", "xor"),  # the XOR playground
]

page = st.navigation(
    [st.Page(path, title=title, icon=icon, url_path=url, default=(i == 0))
     for i, (path, title, icon, url) in enumerate(PAGES) if (HERE / path).exists()],
    position="top",
)
st.markdown(f"#### RNN Addition Lab · {page.title}")
status = st.container()  # filled after the page, so it knows whether the page has live views
live.begin_page()
page.run()
with status:
    live.status_bar()
