"""Presentation mode (a header toggle on every page and ``?present=1``) and the carry rows of the
Unrolled page."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.app.test_links import UNROLLED, XOR, link, open_at
from ui import theme

PAGES = ["pages/train/page.py", UNROLLED, "pages/gradients/page.py", XOR]


def specs(at) -> list[dict]:
    """Every chart's figure: static ones (st.plotly_chart) and live ones (the live chart component)."""
    static = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    live = [json.loads(json.loads(c.proto.json)["figure"]) for c in at.get("bidi_component")
            if c.proto.component_name == "rnn_lab_live_chart"]
    return static + live


def unrolled_spec(at) -> dict:
    """The Unrolled page's step-through figure (its first live chart)."""
    (el,) = [c for c in at.get("bidi_component") if c.key == "unrolled.unrolled_chart"]
    return json.loads(json.loads(el.proto.json)["figure"])


def font_sizes(obj, inside_font=False):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "size" and inside_font and isinstance(v, (int, float)):
                yield v
            else:
                yield from font_sizes(v, k.endswith("font"))
    elif isinstance(obj, list):
        for v in obj:
            yield from font_sizes(v, inside_font)


@pytest.fixture(autouse=True)
def plain_theme():
    yield
    theme.presenting(False)  # AppTest runs scripts in this thread: leave the theme as found


@pytest.mark.parametrize("page", PAGES)
def test_a_present_link_draws_every_chart_of_every_page_at_18px_or_more(page):
    at = open_at(page, {"present": "1"})
    assert at.toggle(key="shell.present.w").value is True
    charts = specs(at)
    assert charts
    for spec in charts:
        assert spec["layout"]["font"]["size"] >= theme.PRESENT_FONT
        assert min(font_sizes(spec)) >= theme.PRESENT_FONT, spec["layout"].get("title")
    assert any("font-size" in h.proto.body for h in at.get("html"))  # text and tables scaled alike


def test_without_presentation_mode_charts_keep_the_plain_size():
    at = open_at(UNROLLED, {})
    assert at.toggle(key="shell.present.w").value is False
    assert min(min(font_sizes(s)) for s in specs(at)) < theme.PRESENT_FONT
    assert "present" not in link(at)


def test_presentation_mode_folds_dense_tables_and_long_notes_away():
    at = open_at(UNROLLED, {"present": "1"})
    labels = [e.label for e in at.expander]
    assert "The numbers of this step, unit by unit" in labels and "Notes" in labels
    plain = open_at(UNROLLED, {})
    assert not [e.label for e in plain.expander]
    assert plain.dataframe  # the arithmetic table is in the open there


def test_the_toggle_switches_the_mode_and_the_link_and_it_stays_across_pages():
    at = open_at(UNROLLED, {})
    at.toggle(key="shell.present.w").set_value(True).run()
    assert link(at)["present"] == "1"
    assert min(min(font_sizes(s)) for s in specs(at)) >= theme.PRESENT_FONT
    at.query_params.clear()  # a page switch in the browser drops the query string
    at.switch_page(XOR).run()
    assert at.toggle(key="shell.present.w").value is True and link(at)["present"] == "1"
    at.toggle(key="shell.present.w").set_value(False).run()
    assert "present" not in link(at)


def test_a_bad_present_value_says_what_is_allowed():
    at = open_at(UNROLLED, {"present": "loud"})
    assert any("'loud' is not allowed; it takes 1 or 0" in t.proto.body for t in at.get("toast"))
    assert at.toggle(key="shell.present.w").value is False


# --- the carry rows ---------------------------------------------------------------------------------

def panel(spec, title_start: str) -> int:
    """The index of the panel (trace) whose label starts with ``title_start``."""
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    return next(i for i, t in enumerate(titles) if t.startswith(title_start))


def z(trace) -> np.ndarray:
    from tests.app.test_unrolled_page import array
    return array(trace["z"])


def test_carry_in_and_carry_out_bracket_the_hidden_state_each_labelled():
    at = open_at(UNROLLED, {"model": "example", "a": "127", "b": "1"})
    spec = unrolled_spec(at)
    cin, hidden, cout = panel(spec, "carry in"), panel(spec, "hidden state"), panel(spec, "carry out")
    assert (cin, cout) == (hidden - 1, hidden + 1)  # right above and right below the units
    data = spec["data"]
    assert data[cin]["y"] == ["carry in"] and data[cout]["y"] == ["carry out"]
    assert z(data[cin]).astype(int).tolist() == [[0, 1, 1, 1, 1, 1, 1, 1]]  # 127 + 1: into bits 1..7
    assert z(data[cout]).astype(int).tolist() == [[1, 1, 1, 1, 1, 1, 1, 0]]  # out of bits 0..6
    starred = [label for label in data[hidden]["y"] if label.startswith("★")]
    assert starred and all(" ~ carry out, r = " in label for label in starred), starred


def test_the_starred_unit_follows_the_carry_out_row_it_sits_on():
    at = open_at(UNROLLED, {"model": "example", "a": "127", "b": "1"})
    spec = unrolled_spec(at)
    hidden, cout = spec["data"][panel(spec, "hidden state")], spec["data"][panel(spec, "carry out")]
    row = next(i for i, label in enumerate(hidden["y"]) if label.startswith("★"))
    r = float(hidden["y"][row].rsplit("r = ", 1)[1])
    h, carry = z(hidden)[row], z(cout)[0]
    # the unit is lit where the carry goes out (bit 0 of 127 + 1 included), and says which way it leans
    assert np.sign(np.corrcoef(h, carry)[0, 1]) == np.sign(r)


def test_grids_say_their_bit_order_and_the_toggle_draws_it_as_written():
    at = open_at(UNROLLED, {"a": "6", "b": "1"})
    spec = unrolled_spec(at)
    assert spec["layout"]["xaxis"]["title"]["text"] == "bit 0 first, time →"
    assert "bit 0 first" in at.get("html")[0].proto.body and "0110000" in at.get("html")[0].proto.body
    at.toggle(key="unrolled.msb.w").set_value(True).run()
    spec = unrolled_spec(at)
    assert spec["layout"]["xaxis"]["range"] == [7.5, -0.5]
    assert spec["layout"]["xaxis"]["title"]["text"].startswith("← time: most significant bit on the left")
    table = at.get("html")[0].proto.body
    assert "most significant on the left" in table and "00000110" in table  # 6 as written


def test_the_classic_loops_two_losses_get_an_axis_each_titled():
    from pages.train.figures import loss_figure
    fig = loss_figure(np.arange(1, 50), np.linspace(3, 0.1, 49), np.arange(10, 50, 10),
                      np.linspace(0.7, 0.05, 4), train_label="one sum's summed |error|",
                      eval_label="evaluation cross-entropy")
    assert fig.data[0].yaxis in (None, "y") and fig.data[1].yaxis == "y2"
    assert fig.layout.yaxis.title.text == "one sum's summed |error|"
    assert fig.layout.yaxis2.title.text == "evaluation cross-entropy" and fig.layout.yaxis2.side == "right"
    one = loss_figure(np.arange(1, 50), np.linspace(3, 0.1, 49), np.arange(10, 50, 10),
                      np.linspace(0.7, 0.05, 4))
    assert "yaxis2" not in one.to_plotly_json()["layout"] and all(d.yaxis in (None, "y") for d in one.data)


def test_legends_sit_in_a_row_above_the_plot_clear_of_the_curves():
    from pages.train.figures import accuracy_figure
    fig = accuracy_figure(np.arange(5), np.linspace(0, 1, 5), np.linspace(0.5, 1, 5))
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y >= 1.0
    assert fig.layout.legend.yanchor == "bottom"
