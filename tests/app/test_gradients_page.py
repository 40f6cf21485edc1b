"""The Gradients page: BPTT on one sum, norms while training, the model's check, the reference's check."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from app_helpers import settled, wait_until

from engine import Config
from ui.link import to_params

PAGE = "pages/gradients/page.py"


def chart(at, key: str) -> dict:
    """The figure a live chart (ui/live_chart.py) was sent."""
    (el,) = [c for c in at.get("bidi_component") if c.key == key]
    return json.loads(json.loads(el.proto.json)["figure"])


def array(value) -> np.ndarray:
    """A plotly JSON array: a plain list, or base64 ``bdata`` with a dtype and shape."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value, dtype=float)


def tables(at):
    """The page's tables in order: model check, U, W, states, reference rows."""
    return [d.value for d in at.dataframe]


def check_table(at):
    return tables(at)[0]


def reference_table(at):
    return tables(at)[4]


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_page_shows_bptt_the_training_norms_and_both_checks(page):
    keys = [c.key for c in page.get("bidi_component")]
    assert keys == ["grad.delta_chart", "grad.sum_norm_chart", "grad.train_norm_chart"]
    assert not page.get("plotly_chart")  # every chart follows training: each is a live chart
    frame = check_table(page)
    assert frame["parameter"].tolist() == ["L1.Wxh", "L1.Whh", "L1.bh", "Why", "by"]
    assert frame["ok"].tolist() == ["✔ ok"] * 5
    assert (frame["relative error"] < 1e-6).all()
    assert frame["shape"].tolist()[1] == "8 × 8"  # the default 16 units, capped for the check
    assert any(s.startswith("All 5 parameters pass") for s in texts(page.success))
    assert not page.error


def test_bptt_heatmap_is_units_by_steps_of_the_chosen_sum(page):
    spec = chart(page, "grad.delta_chart")
    z = array(spec["data"][0]["z"])
    assert z.shape == (16, 8)  # 16 hidden units x 8 bits
    assert "127 + 1 = 128" in " ".join(texts(page.caption))
    page.text_input(key="grad.a.w").input("0b101").run()
    page.text_input(key="grad.b.w").input("3").run()
    assert "5 + 3 = 8" in " ".join(texts(page.caption))


def test_only_the_last_bits_error_fades_going_back_in_time(page):
    page.radio(key="grad.source.w").set_value("last").run()
    norms = array(chart(page, "grad.sum_norm_chart")["data"][0]["y"])
    assert np.all(np.diff(norms) > 0), norms  # smaller and smaller towards the first bit
    assert norms[0] < 1e-3 * norms[-1]
    z = array(chart(page, "grad.delta_chart")["data"][0]["z"])
    assert np.abs(z[:, 0]).max() < 1e-3 * np.abs(z[:, -1]).max()


def test_delta_view_switches_to_the_pre_activation_gradient(page):
    before = array(chart(page, "grad.delta_chart")["data"][0]["z"])
    page.radio(key="grad.what.w").set_value("dpre").run()
    spec = chart(page, "grad.delta_chart")
    assert spec["data"][0]["colorbar"]["title"]["text"] == "δ"
    after = array(spec["data"][0]["z"])
    assert np.all(np.abs(after) <= 0.25 * np.abs(before) + 1e-15)  # the sigmoid's slope is at most 1/4


@pytest.mark.parametrize("a,b,message", [
    ("300", "1", "a = 300 does not fit in 8 bits (at most 255)"),
    ("200", "100", "200 + 100 = 300 does not fit in 8 bits"),
    ("two", "1", "is not a whole number"),
])
def test_a_sum_that_does_not_fit_says_what_is_allowed(page, a, b, message):
    page.text_input(key="grad.a.w").input(a)
    page.text_input(key="grad.b.w").input(b).run()
    assert not page.exception
    assert any(message in e for e in texts(page.error)), texts(page.error)


def test_training_norms_come_from_the_runs_latest_weights(app):
    app.run()  # the Train page: Step trains the run in a worker
    app.checkbox(key="train.auto_pause.w").uncheck().run()
    app.button(key="train.step").click().run()
    tr = settled(app).trainer
    app.switch_page(PAGE).run()
    step = tr.snapshot_step
    assert step == tr.step > 0
    assert any(f"with the latest weights (step {step:,})" in c for c in texts(app.caption))
    y = array(chart(app, "grad.train_norm_chart")["data"][0]["y"])
    assert len(y) == tr.config.bits and np.all(np.isfinite(y))


def test_views_follow_the_model_while_it_trains(app):
    app.query_params.update(to_params(Config(steps=1_000_000)))
    app.run()
    app.checkbox(key="train.auto_pause.w").uncheck().run()
    app.button(key="train.play").click().run()
    app.switch_page(PAGE).run()
    wait_until(app, lambda lab: lab.trainer.snapshot_step > 0, what="a snapshot of trained weights")
    tr = app.session_state["lab"].trainer
    caption = next(c for c in texts(app.caption) if c.startswith("The model being trained"))
    assert f"(step {tr.snapshot_step:,})" in caption
    assert any("the latest weights" in c for c in texts(app.caption))


def test_checking_a_two_layer_lstm_lists_every_gate_weight(page):
    page.selectbox(key="grad.cell.w").select("lstm").run()
    page.number_input(key="grad.layers.w").set_value(2).run()
    page.number_input(key="grad.hidden.w").set_value(3).run()
    assert any("press **Run the check**" in i for i in texts(page.info))
    page.button(key="grad.run_check").click().run()
    frame = check_table(page)
    assert {"L1.Wx", "L2.Wx", "Why"} <= set(frame["parameter"])
    assert frame["ok"].tolist() == ["✔ ok"] * len(frame)
    assert "LSTM, 2 × 3 units" in " ".join(texts(page.caption))
    page.button(key="grad.use_model").click().run()
    assert page.selectbox(key="grad.cell.w").value == "rnn"
    assert check_table(page)["parameter"].tolist()[0] == "L1.Wxh"


def test_other_activations_and_losses_pass_the_check(page):
    page.selectbox(key="grad.activation.w").select("tanh").run()
    page.selectbox(key="grad.loss.w").select("mse").run()
    page.checkbox(key="grad.bias.w").uncheck().run()
    page.button(key="grad.run_check").click().run()
    frame = check_table(page)
    assert frame["parameter"].tolist() == ["L1.Wxh", "L1.Whh", "Why"]
    assert frame["ok"].tolist() == ["✔ ok"] * 3


def test_reference_check_prints_every_weight_and_they_agree(page):
    frame = reference_table(page)
    assert frame["weight"].tolist()[6:] == ["W(0,0)", "W(0,1)", "W(1,0)", "W(1,1)"]
    assert (frame["|difference|"] < 1e-8).all()
    lines = page.code[1].value.splitlines()  # code[0] is the header's Copy-link box
    assert len(lines) == 10 and lines[6].startswith("W(0,0): numerical ")
    w = frame.set_index("weight")["backprop"]
    assert w["W(0,0)"] == w["W(1,0)"] and w["W(0,1)"] == w["W(1,1)"]  # both rows alike, as the reference
    assert any(s.startswith("Every weight agrees") for s in texts(page.success))


def test_relu_with_a_big_nudge_disagrees_and_a_small_one_agrees(page):
    page.radio(key="grad.ref_activation.w").set_value("relu").run()
    assert any("Some weights disagree" in w for w in texts(page.warning))
    page.select_slider(key="grad.ref_eps.w").set_value(1e-7).run()
    assert not page.warning
    assert (reference_table(page)["|difference|"] < 1e-8).all()


def test_a_gated_model_shows_the_norms_and_says_why_no_heatmap(open_page):
    at = open_page(to_params(Config(cell="gru", hidden=6, bits=6)))
    keys = [c.key for c in at.get("bidi_component")]
    assert keys == ["grad.sum_norm_chart", "grad.train_norm_chart"]
    assert any("Per-unit gradients are drawn for the vanilla RNN" in i for i in texts(at.info))
    assert "31 + 1 = 32" in " ".join(texts(at.caption))
    assert at.selectbox(key="grad.cell.w").value == "gru"
    assert check_table(at)["ok"].tolist() == ["✔ ok"] * len(check_table(at))


def test_a_two_layer_model_can_show_either_layer(open_page):
    at = open_page(to_params(Config(layers=2, hidden=4)))
    assert at.selectbox(key="grad.layer.w").value == 1
    assert len(chart(at, "grad.train_norm_chart")["data"]) == 2  # a bar trace per layer
    at.selectbox(key="grad.layer.w").select(0).run()
    assert "layer 1" in chart(at, "grad.delta_chart")["layout"]["title"]["text"]


def test_check_settings_take_the_schemas_range_and_refuse_a_model_too_big_to_check(page):
    hidden = page.number_input(key="grad.hidden.w")
    assert (hidden.min, hidden.max) == (1, 512)  # the schema's range, not a second one
    hidden.set_value(12).run()  # more than the default size, still within the check's budget
    assert not page.error
    page.button(key="grad.run_check").click().run()
    assert "1 × 12 units" in " ".join(texts(page.caption))
    page.number_input(key="grad.hidden.w").set_value(512).run()
    (error,) = texts(page.error)
    assert "gradient-check budget" in error and "estimated cost" in error and "limit 150,000,000" in error
    assert page.button(key="grad.run_check").disabled


def test_norms_before_training_of_a_large_model_use_a_smaller_batch_and_say_so(page, monkeypatch):
    from engine.analysis import budget

    monkeypatch.setattr(budget, "GRADIENT_S", 1e-4)  # so small that even the default model is "large"
    page.run()
    caption = next(c for c in texts(page.caption) if c.startswith("Measured on a batch of"))
    assert "(a large model: 1 instead of 64, as many as fit in about 0.0001 s)" in caption
    monkeypatch.setattr(budget, "GRADIENT_S", 2.0)
    page.run()
    assert any(c.startswith("Measured on a batch of 64 random sums with the weights before any training")
               for c in texts(page.caption))
