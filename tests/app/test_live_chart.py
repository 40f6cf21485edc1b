"""The live chart component, Python side: what it sends the browser, and the plotly.js it serves.

The browser side (the chart updates in place) is tested in tests/browser/test_live_chart_browser.py.
"""

from __future__ import annotations

import base64
import json

import numpy as np
from app_helpers import settled

from pages.train import figures
from ui import live_chart as lc

PAGE = "pages/train/page.py"
LIVE = {"train.loss_chart", "train.accuracy_chart", "train.grad_chart", "train.hidden_chart"}


def array(value) -> np.ndarray:
    """A plotly data array from JSON: a list, or ``{"dtype", "bdata"}`` (base64)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def sent(at, key: str) -> tuple[str, dict]:
    """(element id, data) of the live chart with ``key``."""
    (el,) = [c for c in at.get("bidi_component") if c.key == key]
    return el.proto.id, json.loads(el.proto.json)


def test_every_live_chart_of_the_train_page_is_the_component_not_plotly_chart(page):
    charts = page.get("bidi_component")
    assert {c.key for c in charts} == LIVE
    assert {c.proto.component_name for c in charts} == {"rnn_lab_live_chart"}
    assert not {c.key for c in page.get("plotly_chart")} & LIVE
    (first,) = [c for c in charts if c.key == "train.loss_chart"]
    assert "Plotly.react" in first.proto.js_content
    assert not first.proto.isolate_styles  # plotly's own style rules live in the page's <head>


def test_it_sends_the_figure_its_config_height_and_where_plotly_js_is_served(page):
    _, data = sent(page, "train.loss_chart")
    fig = json.loads(data["figure"])
    tr = page.session_state["lab"].trainer
    expected = figures.loss_figure(tr.history.train["step"], tr.history.train["loss"],
                                   tr.history.evals["step"], tr.history.evals["eval_loss"], revision=id(tr))
    assert fig["layout"]["title"]["text"] == expected.layout.title.text == "Loss (log scale)"
    assert [t["name"] for t in fig["data"]] == [t.name for t in expected.data]
    assert fig["layout"]["template"] == lc.TEMPLATE  # ours, not plotly's default
    assert data["height"] == expected.layout.height
    assert data["config"]["displaylogo"] is False
    assert data["plotly_src"] == "app/static/plotly.min.js"


def test_updates_keep_the_element_id_and_revision_while_the_figure_changes(page):
    before_id, before = sent(page, "train.loss_chart")
    page.button(key="train.step").click().run()
    settled(page)
    after_id, after = sent(page, "train.loss_chart")
    assert after_id == before_id  # same element: the browser updates it instead of mounting anew
    old, new = json.loads(before["figure"]), json.loads(after["figure"])
    assert new != old and len(new["data"][0]["x"]["bdata"]) > 0
    assert new["layout"]["uirevision"] == old["layout"]["uirevision"]  # zoom and pan survive
    page.button(key="train.reset").click().run()
    _, reset = sent(page, "train.loss_chart")
    assert json.loads(reset["figure"])["layout"]["uirevision"] != new["layout"]["uirevision"]  # a new run


def test_the_sent_figure_decodes_back_to_the_built_one():
    fig = figures.accuracy_figure([0, 20, 40], [0.0, 0.5, 1.0], [0.5, 0.75, 1.0], revision="r")
    back = json.loads(lc.payload(fig)["figure"])
    assert list(array(back["data"][0]["y"])) == [0.0, 50.0, 100.0]  # plotly.js decodes bdata alike
    assert list(array(back["data"][1]["y"])) == [50.0, 75.0, 100.0]
    assert back["layout"]["uirevision"] == "r"


def test_plotly_js_is_copied_from_the_installed_package(tmp_path):
    src = lc.plotly_js_source()
    copied = lc.ensure_plotly_js(tmp_path)
    assert copied == tmp_path / "plotly.min.js"
    assert copied.read_bytes() == src.read_bytes()
    assert b"window.Plotly" in copied.read_bytes()[-200:]
    assert [p.name for p in tmp_path.iterdir()] == ["plotly.min.js"]  # no temporary files left


def test_a_stale_or_partial_copy_is_replaced(tmp_path):
    (tmp_path / "plotly.min.js").write_bytes(b"/* half a file")
    lc.ensure_plotly_js(tmp_path)
    assert (tmp_path / "plotly.min.js").read_bytes() == lc.plotly_js_source().read_bytes()


def test_the_app_serves_static_files_and_git_keeps_the_folder_but_not_the_copy():
    config = (lc.STATIC.parent / ".streamlit" / "config.toml").read_text()
    assert "enableStaticServing = true" in config
    ignore = (lc.STATIC / ".gitignore").read_text().splitlines()
    assert "*" in ignore and "!.gitignore" in ignore
    assert (lc.STATIC / "plotly.min.js").read_bytes() == lc.plotly_js_source().read_bytes()
