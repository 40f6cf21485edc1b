"""A shared link to any page works on a server nobody has visited yet.

Streamlit runs the first visit to a fresh server as an old-style pages-folder
app (see ui/routing.py); each URL must still open its page through the router,
with no "Page not found" dialog. Every case needs a server of its own: the
shared one has been visited already.
"""

import pytest
from browser_helpers import ARTIFACTS, open_app, running_app, save_screenshot

from ui.routing import OWN_STATUS, PAGES

TITLES = {name: title for name, title, _ in PAGES}


@pytest.mark.parametrize("path", ["", *TITLES])
def test_a_link_to_a_page_opens_it_on_a_fresh_server(page, path):
    title = TITLES.get(path, PAGES[0][1])
    with running_app(log_path=ARTIFACTS / f"streamlit-direct-link-{path or 'root'}.log") as url:
        open_app(page, f"{url}/{path}?hidden=24")
        page.get_by_text(f"RNN Addition Lab · {title}").wait_for(state="visible")
        # The router's menu and run status are there (XOR shows its own run's); Streamlit's own
        # list of the pages folder ("streamlit app", ...) and its dialog are not.
        status = "Right answers" if path in OWN_STATUS else "Samples seen"
        page.get_by_text(status).first.wait_for(state="visible")
        if path in OWN_STATUS:  # not the addition run's status bar
            assert page.get_by_text("Samples seen").count() == 0
        assert page.get_by_text("streamlit app").count() == 0
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator("[data-testid='stNavSectionHeader'], [data-testid='stSidebarNav']").count() == 0
        if title == "Train":  # the link's settings arrive (the Train page writes them back)
            assert "hidden=24" in page.url, page.url
        save_screenshot(page, f"direct_link_{path or 'root'}")
