"""A shared link to a page works on a server nobody has visited yet.

Streamlit runs a file from pages/ on its own when the first visit to a fresh
server opens that page's URL; ui.routing.require_router sends it through the
router instead. This needs a server of its own: the shared one has been
visited already.
"""

from browser_helpers import ARTIFACTS, open_app, running_app, save_screenshot


def test_opening_a_page_url_first_on_a_fresh_server_goes_through_the_router(page):
    with running_app(log_path=ARTIFACTS / "streamlit-direct-link.log") as url:
        open_app(page, f"{url}/gradients")
        header = page.get_by_text("RNN Addition Lab · Gradients")
        header.wait_for(state="visible")
        # The router's menu and run status are there; Streamlit's own list of
        # the pages folder ("streamlit app", ...) is not.
        page.get_by_text("Samples seen").first.wait_for(state="visible")
        assert page.get_by_text("streamlit app").count() == 0
        save_screenshot(page, "direct_link_gradients")
