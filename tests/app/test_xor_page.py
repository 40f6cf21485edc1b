"""The XOR page: the reference networks learn XOR, settings reach the engine, bad input gets a message."""

from __future__ import annotations

import json

PAGE = "pages/xor/page.py"


def predictions(at):
    (table,) = at.dataframe  # the page's one table
    return table.value


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart(at, key: str) -> dict:
    (el,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(el.proto.spec)


def errors(at):
    return [e.value for e in at.error]


def test_default_network_gets_all_four_right_and_draws_every_view(page):
    frame = predictions(page)
    assert frame["input"].tolist() == ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"]
    assert frame["target"].tolist() == [0, 1, 1, 0]
    assert frame["result"].tolist() == ["✔ right"] * 4
    p = frame["prediction"].tolist()
    assert p[0] < 0.05 and p[3] < 0.05 and p[1] > 0.95 and p[2] > 0.95
    assert metrics(page)["Network"] == "2-64-1" and metrics(page)["Right answers"] == "4 / 4"
    assert page.code[1].value.splitlines()[1].startswith("in: [0. 1.] pred: [0.98")  # as the reference
    keys = {c.key for c in page.get("plotly_chart")}
    assert keys == {"xor.loss_chart", "xor.boundary_chart", "xor.hidden_chart1"}
    boundary = chart(page, "xor.boundary_chart")
    assert [t["type"] for t in boundary["data"]] == ["heatmap", "contour", "scatter", "scatter"]
    assert not errors(page)


def test_reference_two_layer_preset_trains_the_deeper_network(page):
    page.selectbox(key="xor.preset.w").select("reference 2-64-64-1").run()
    assert not page.exception
    assert page.radio(key="xor.layers.w").value == 2
    assert page.number_input(key="xor.steps.w").value == 5000
    assert page.selectbox(key="xor.loss.w").value == "sse"
    assert metrics(page)["Network"] == "2-64-64-1"
    assert predictions(page)["result"].tolist() == ["✔ right"] * 4
    hidden = [c.key for c in page.get("plotly_chart") if c.key.startswith("xor.hidden_chart")]
    assert hidden == ["xor.hidden_chart1", "xor.hidden_chart2"]
    z = chart(page, "xor.hidden_chart2")["data"][0]["z"]
    assert (z["shape"] if isinstance(z, dict) else f"{len(z)}, {len(z[0])}") == "4, 64"  # inputs x units


def test_one_layer_reference_preset_uses_its_squared_error(page):
    page.selectbox(key="xor.preset.w").select("reference 2-64-1").run()
    assert page.selectbox(key="xor.loss.w").value == "sse"
    assert page.number_input(key="xor.steps.w").value == 1000
    assert predictions(page)["result"].tolist() == ["✔ right"] * 4  # seed 0; the squared error is slower
    assert page.selectbox(key="xor.preset.w").value == "reference 2-64-1"


def test_two_layers_follow_the_references_longer_budget_and_back(page):
    page.radio(key="xor.layers.w").set_value(2).run()
    assert page.number_input(key="xor.steps.w").value == 5000
    assert metrics(page)["Network"] == "2-64-64-1"
    page.radio(key="xor.layers.w").set_value(1).run()
    assert page.number_input(key="xor.steps.w").value == 1000


def test_settings_reach_the_network(page):
    page.number_input(key="xor.width1.w").set_value(8).run()
    page.selectbox(key="xor.activation.w").select("tanh").run()
    assert metrics(page)["Network"] == "2-8-1"
    z = chart(page, "xor.hidden_chart1")["data"][0]
    assert chart(page, "xor.hidden_chart1")["layout"]["title"]["text"] == "Hidden layer 1: 8 units (tanh)"
    assert z["zmin"] == -1 and z["zmax"] == 1
    assert page.selectbox(key="xor.preset.w").value == "custom"


def test_without_automatic_training_the_train_button_applies_the_settings(page):
    page.toggle(key="xor.auto.w").set_value(False).run()
    page.number_input(key="xor.width1.w").set_value(4).run()
    assert metrics(page)["Network"] == "2-64-1"  # still the previous network
    assert any("press **Train**" in i.value for i in page.info)
    page.button(key="xor.train").click().run()
    assert metrics(page)["Network"] == "2-4-1"
    assert not any("press **Train**" in i.value for i in page.info)


def test_next_seed_trains_from_other_weights(page):
    before = predictions(page)["prediction"].tolist()
    page.button(key="xor.next_seed").click().run()
    assert page.number_input(key="xor.seed.w").value == 1
    assert predictions(page)["prediction"].tolist() != before


def test_replay_shows_the_network_part_way_through_training(page):
    assert page.select_slider(key="xor.replay").value == 1000
    page.select_slider(key="xor.replay").set_value(100).run()
    assert "The four predictions after 100 steps" in [s.value for s in page.subheader]
    early = predictions(page)["prediction"].tolist()
    assert early[1] < 0.95  # not learned yet
    shapes = chart(page, "xor.loss_chart")["layout"]["shapes"]
    assert shapes[0]["x0"] == 100  # the step looked at, marked on the loss curve
    page.number_input(key="xor.seed.w").set_value(3).run()  # another network: back to its end
    assert page.select_slider(key="xor.replay").value == 1000


def test_a_zero_learning_rate_is_refused_with_a_message(page):
    page.number_input(key="xor.lr.w").set_value(0.0).run()
    assert not page.exception
    assert any("the learning rate must be above 0 and at most 100 (got 0.0)" in e for e in errors(page))
    assert page.button(key="xor.train").disabled
    assert metrics(page)["Right answers"] == "4 / 4"  # the previous network stays on show


def test_a_learning_rate_far_too_large_shows_wrong_answers_not_a_crash(page):
    page.number_input(key="xor.lr.w").set_value(100.0).run()
    assert not page.exception
    assert "✘ wrong" in predictions(page)["result"].tolist()


def test_the_xor_page_leaves_the_addition_trainer_alone(page):
    trainer = page.session_state["lab"].trainer
    page.selectbox(key="xor.preset.w").select("reference 2-64-1").run()
    page.button(key="xor.train").click().run()
    assert page.session_state["lab"].trainer is trainer and trainer.step == 0
    assert page.session_state["lab"].config == trainer.config
