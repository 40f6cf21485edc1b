"""Every page's URL works from the first visit (see ui/routing.py)."""

from __future__ import annotations

from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager

from ui import routing

PAGES_DIR = routing.ROOT / "pages"


def test_streamlit_still_runs_a_fresh_servers_first_visit_as_a_pages_folder_app():
    """The behaviour the pages/_<name>.py files work around.

    If this fails, Streamlit no longer looks at the pages/ folder on a first
    visit (or decides it another way): check a direct link on a fresh server
    (tests/browser/test_direct_links.py), then remove the pages/_<name>.py files,
    ``routing.run_router`` and this test.
    """
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = None  # as in a freshly started server
        PagesManager(str(routing.ROUTER))
        assert PagesManager.uses_pages_directory is True, (
            "Streamlit changed how it treats a top-level pages/ folder: see this test's docstring")
    finally:
        PagesManager.uses_pages_directory = saved


def test_every_page_has_a_first_visit_file_that_runs_the_router_and_nothing_else_does():
    names = [name for name, _, _ in routing.PAGES]
    assert sorted(p.name for p in PAGES_DIR.glob("*.py")) == sorted(f"_{n}.py" for n in names)
    for name in names:
        code = (PAGES_DIR / f"_{name}.py").read_text()
        assert "run_router()" in code, f"pages/_{name}.py must run the router"
        assert (PAGES_DIR / name / "page.py").is_file(), f"page {name!r} has no pages/{name}/page.py"


def test_streamlit_names_each_first_visit_file_after_its_page_url():
    from streamlit.source_util import page_icon_and_name

    for name, _, _ in routing.PAGES:
        assert page_icon_and_name(Path(f"_{name}.py"))[1] == name
