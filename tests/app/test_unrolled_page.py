"""The Unrolled page: choosing a sum, bad numbers, stepping, gated cells, live ticks, loading a model file."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from app_helpers import wait_until
from streamlit.testing.v1 import AppTest

from engine import Config, SequenceModel, checkpoint

PAGE = "pages/unrolled/page.py"


def charts(at, key: str | None = None):
    """The figures the page's live charts (ui/live_chart.py) were sent, in order (or the one of ``key``)."""
    return [json.loads(json.loads(c.proto.json)["figure"]) for c in at.get("bidi_component")
            if key is None or c.key == key]


def unrolled_chart(at):
    """The aligned step-through figure (the first chart of the page)."""
    spec = charts(at)[0]
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles[0].startswith("inputs"), titles
    return spec


def array(value) -> np.ndarray:
    """A plotly JSON array: a plain list, or base64 ``bdata`` with a dtype and shape."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def input_rows(at):
    data = unrolled_chart(at)["data"]  # rows a, b, then the carry in (its own panel); columns LSB first
    return array(data[0]["z"]).astype(int).tolist() + array(data[1]["z"]).astype(int).tolist()


def outlined_step(at) -> float:
    shapes = unrolled_chart(at)["layout"]["shapes"]
    return (shapes[-1]["x0"] + shapes[-1]["x1"]) / 2


def errors(at):
    return [e.value for e in at.error]


def test_page_shows_the_unrolled_sum_and_every_analysis(page):
    assert input_rows(page)[:2] == [[1, 1, 1, 1, 1, 1, 1, 0], [1, 0, 0, 0, 0, 0, 0, 0]]  # 127 + 1
    assert len(charts(page)) == 5  # unrolled, correlation, probe curve, PCA, length generalisation
    assert not page.get("plotly_chart")  # every chart follows training: each is a live chart
    labels = [m.label for m in page.metric]
    assert labels[-2:] == ["Linear probe reads the carry", "From the current bits alone"]
    assert len(page.table) == 1  # the truth table
    assert not errors(page)


def test_typing_a_and_b_shows_that_sum(page):
    page.text_input(key="unrolled.a.w").input("0b101").run()
    page.text_input(key="unrolled.b.w").input("3").run()
    assert input_rows(page) == [[1, 0, 1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 0, 0, 0, 0]]


@pytest.mark.parametrize("a,b,message", [
    ("300", "1", "a = 300 does not fit in 8 bits (at most 255)"),
    ("200", "100", "200 + 100 = 300 does not fit in 8 bits"),
    ("12x", "1", "is not a whole number"),
    ("", "1", "a is empty"),
])
def test_a_number_that_does_not_fit_says_what_is_allowed(page, a, b, message):
    page.text_input(key="unrolled.a.w").input(a)
    page.text_input(key="unrolled.b.w").input(b).run()
    assert not page.exception
    assert any(message in e for e in errors(page)), errors(page)


def test_a_wider_width_accepts_the_bigger_number(page):
    page.text_input(key="unrolled.a.w").input("300").run()
    assert errors(page)
    page.selectbox(key="unrolled.bits.w").select(16).run()
    assert not errors(page)
    assert len(input_rows(page)[0]) == 16


def click(at, key: str):
    """Press a stepper button as a new click (a repeat within 0.6 s counts as the same click)."""
    at.session_state["unrolled.last_move"] = None
    at.button(key=key).click().run()


def test_stepping_moves_the_outline_and_stays_in_range(page):
    assert outlined_step(page) == 0
    click(page, "unrolled.next")
    click(page, "unrolled.next")
    assert outlined_step(page) == 2
    assert "Step **2** of 7" in " ".join(c.value for c in page.caption)
    click(page, "unrolled.last")
    assert outlined_step(page) == 7
    click(page, "unrolled.next")
    assert outlined_step(page) == 7
    click(page, "unrolled.prev")
    assert outlined_step(page) == 6
    click(page, "unrolled.first")
    assert outlined_step(page) == 0


def test_one_click_delivered_twice_moves_one_step(page, monkeypatch):
    from pages.unrolled import state as U

    now = [1000.0]
    monkeypatch.setattr(U, "clock", lambda: now[0])
    page.button(key="unrolled.next").click().run()
    now[0] += U.REPEAT_S / 2  # the same click delivered again
    page.button(key="unrolled.next").click().run()
    assert outlined_step(page) == 1
    now[0] += U.REPEAT_S  # a new click of the same button
    page.button(key="unrolled.next").click().run()
    assert outlined_step(page) == 2


def test_autoplay_moves_on_by_itself(page):
    page.toggle(key="unrolled.autoplay.w").set_value(True).run()
    assert outlined_step(page) == 1
    page.session_state["unrolled.auto_last"] = 0.0  # as if a second had passed
    page.run()
    assert outlined_step(page) == 2


def test_a_two_layer_model_can_show_either_layer(app):
    app.query_params["layers"] = "2"
    app.run()
    app.switch_page(PAGE).run()
    assert any("Layer 2 reads layer 1's state h" in m.value for m in app.markdown)
    app.selectbox(key="unrolled.layer.w").select(0).run()
    assert not app.exception
    assert any("Layer 1 reads the input vector" in m.value for m in app.markdown)
    assert any("from the top layer, layer 2" in m.value for m in app.markdown)


def test_hard_cases_and_random_pick_a_sum(page):
    page.selectbox(key="unrolled.case").select((127, 127)).run()
    assert page.text_input(key="unrolled.a.w").value == "127"
    assert page.text_input(key="unrolled.b.w").value == "127"
    assert page.selectbox(key="unrolled.case").value is None
    page.button(key="unrolled.random").click().run()
    a, b = int(page.text_input(key="unrolled.a.w").value), int(page.text_input(key="unrolled.b.w").value)
    assert 0 <= a < 128 and 0 <= b < 128
    assert not errors(page)


def test_live_polls_redraw_the_page_while_a_worker_trains(app):
    app.query_params["steps"] = "1000000"
    app.run()
    app.checkbox(key="train.auto_pause.w").uncheck().run()
    app.button(key="train.play").click().run()
    app.switch_page(PAGE).run()
    wait_until(app, lambda lab: lab.trainer.snapshot_step > 0, what="a snapshot of trained weights")
    app.run()
    text = " ".join(c.value for c in app.caption)
    shown = re.search(r"Model being trained \(step ([\d,]+)\)", text)
    assert shown and int(shown.group(1).replace(",", "")) > 0


@pytest.mark.parametrize("full_run", [True, False], ids=["a click's full run", "a live view's timed run"])
def test_while_training_a_click_reuses_the_latest_analysis_and_live_views_remeasure(app, monkeypatch,
                                                                                   full_run):
    from pages.unrolled import analyses as A
    from ui import live

    app.query_params["steps"] = "1000000"
    app.run()
    app.checkbox(key="train.auto_pause.w").uncheck().run()
    app.button(key="train.play").click().run()
    app.switch_page(PAGE).run()
    wait_until(app, lambda lab: lab.trainer.snapshot_step > 0, what="a snapshot of trained weights")
    memo = app.session_state["unrolled.memo_report0"]
    measured = memo["latest"][3]
    wait_until(app, lambda lab: lab.trainer.snapshot_step > measured, what="newer weights")
    follows, at, report, step = memo["latest"]
    memo["latest"] = (follows, at - 1.5 * A.REPORT_REFRESH_S, report, step)  # due for remeasuring
    monkeypatch.setattr(live, "full_run", lambda: full_run)
    app.button(key="unrolled.next").click().run()
    assert outlined_step(app) == 1
    assert (app.session_state["unrolled.memo_report0"]["latest"][2] is report) == full_run


def test_an_lstm_shows_its_cell_state_and_gates(app):
    app.query_params["cell"] = "lstm"
    app.query_params["hidden"] = "6"
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception
    titles = [a["text"] for a in unrolled_chart(app)["layout"]["annotations"]]
    assert {"cell state c", "input gate i", "forget gate f", "output gate o"} <= set(titles)
    table = app.dataframe[0].value
    assert {"c = f·c(t−1) + i·g", "h = o·tanh(c)", "forget gate f"} <= set(table.columns)


def test_a_loaded_model_is_shown_instead_of_the_trained_one(page):
    from pages.unrolled.state import LOADED, read_model_file

    model = SequenceModel(Config(hidden=5, bits=6))
    loaded, error = read_model_file(checkpoint.to_bytes(model), "small.npz")
    assert error == ""
    page.session_state["unrolled.loaded"] = loaded
    page.session_state["unrolled.source"] = LOADED
    page.run()
    assert not page.exception
    assert "Model loaded from small.npz" in " ".join(c.value for c in page.caption)
    assert len(input_rows(page)[0]) == 6  # its own training width
    assert len(charts(page)) == 4  # no probe-over-training curve for a file


def test_choosing_the_example_shows_the_solved_8_bit_rnn(page):
    from pages.unrolled.state import EXAMPLE, EXAMPLE_LABEL

    (radio,) = [r for r in page.radio if r.key == "unrolled.source.w"]
    assert EXAMPLE_LABEL in radio.options
    radio.set_value(EXAMPLE).run()
    assert not page.exception, [e.value for e in page.exception]
    assert "Model loaded from assets/models/rnn_8bit.npz, a solved 8-bit RNN" in " ".join(
        c.value for c in page.caption)
    assert len(input_rows(page)[0]) == 8
    assert "✔" in page.get("html")[0].proto.body  # the carry-chain sum comes out right
    assert len(charts(page)) == 4  # a finished model: no probe-over-training curve


def _upload_script():
    """Feeds ``handle_upload`` a file-like object as ``st.file_uploader`` would, then shows the outcome."""
    import io

    import streamlit as st

    from pages.unrolled import state as U

    class Upload(io.BytesIO):
        def __init__(self, data: bytes, name: str, size: int | None = None):
            super().__init__(data)
            self.name, self.file_id = name, f"{name}-{len(data)}"
            self.size = len(data) if size is None else size

    pending = st.session_state.get("test.upload")
    if pending is not None:
        U.handle_upload(Upload(*pending))
    kind, text = U.load_message()
    if kind == "error":
        st.error(text)
    elif kind == "success":
        st.success(text)
    st.write(f"source={U.source()}")


def test_loading_a_bad_file_shows_why_and_keeps_the_current_model():
    at = AppTest.from_function(_upload_script, default_timeout=30)
    good = SequenceModel(Config(hidden=3, bits=4))
    at.session_state["test.upload"] = (checkpoint.to_bytes(good), "good.npz")
    at.run()
    assert "Loaded good.npz: RNN, 1 × 3 units" in at.success[0].value
    kept = at.session_state["unrolled.loaded"]

    at.session_state["test.upload"] = (b"not a model at all", "bad.npz")
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("Could not load bad.npz: this is not a model file")
    assert "The current model is unchanged" in at.error[0].value
    assert at.session_state["unrolled.loaded"] is kept
    assert at.markdown[-1].value == "source=loaded"

    at.session_state["test.upload"] = (b"x", "huge.npz", checkpoint.MAX_BYTES + 1)
    at.run()
    assert "may be at most" in at.error[0].value
    assert at.session_state["unrolled.loaded"] is kept


def test_a_truncated_model_file_is_refused_with_a_message():
    from pages.unrolled.state import read_model_file

    data = checkpoint.to_bytes(SequenceModel(Config(hidden=3)))
    loaded, error = read_model_file(data[: len(data) // 2], "cut.npz")
    assert loaded is None
    assert error.startswith("Could not load cut.npz:") and error.endswith("The current model is unchanged.")


def test_the_probe_curve_follows_training_on_another_page(app):
    at = app.run()  # the Train page
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # train on past the solved step
    at.button(key="train.play").click().run()
    lab = wait_until(at, lambda lab: len(lab.probe) >= 2, what="two probe measurements")
    recorded = lab.probe.steps.tolist()  # measured by the live polls, without the Unrolled page
    assert recorded[0] == 0 and recorded[-1] > 0
    at.switch_page(PAGE).run()
    assert not at.exception
    (spec,) = charts(at, "unrolled.probe_chart")
    x = array(spec["data"][0]["x"]).tolist()
    assert len(x) > 1 and x[:len(recorded)] == recorded


def test_a_large_loaded_model_is_analysed_on_a_sample_and_the_page_says_so(page, monkeypatch):
    from engine.analysis import budget
    from pages.unrolled.state import LOADED, read_model_file

    # Budgets so small that even this modest model is "large": every analysis must sample.
    for name in ("WRONG_SUMS_S", "CARRY_S", "LENGTH_S"):
        monkeypatch.setattr(budget, name, 0.01)
    model = SequenceModel(Config(cell="gru", hidden=32, bits=12))
    loaded, error = read_model_file(checkpoint.to_bytes(model), "wide.npz")
    assert error == ""
    page.session_state["unrolled.loaded"] = loaded
    page.session_state["unrolled.source"] = LOADED
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    captions = " ".join(c.value for c in page.caption)
    rep = page.session_state["unrolled.memo_report0"]["latest"][2]
    assert rep.sample.sampled
    assert (f"these analyses use a sample of {rep.sample.sums:,} of the {rep.sample.wanted:,} evaluation sums"
            in captions)
    curve = page.session_state["unrolled.memo_length"]["latest"][2]
    assert curve.sampled and curve.thinned and len(curve.widths) < len(curve.plan.all_widths)
    assert f" sums per width at {len(curve.widths)} of the {len(curve.plan.all_widths)} widths" in captions
