"""The Train page: hyperparameters reach the trainer, the controls train it, the views follow.

Fragments run once per ``at.run()``, so each run is one live tick while playing.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import engine.model
from engine import PRESETS, Config, Trainer
from ui.link import to_params

DIVERGING = Config(activation="relu", optimizer="sgd", lr=10.0, layers=2)  # NaN loss within ~5 steps


def lab(at):
    return at.session_state["lab"]


def status(at) -> dict[str, str]:
    """The status bar's figures by label ("Step (of 1,000)" is filed under "Step")."""
    return {m.label.split(" (")[0]: m.value for m in at.metric}


def chart(at, key: str) -> dict:
    """The figure a live chart (ui/live_chart.py) was sent."""
    (el,) = [c for c in at.get("bidi_component") if c.key == key]
    return json.loads(json.loads(el.proto.json)["figure"])


def array(value) -> np.ndarray:
    """A plotly data array from JSON: a list, or ``{"dtype", "bdata"}`` (base64)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def open_with(at, config: Config):
    at.query_params.update(to_params(config))
    return at.run()


def test_page_renders_its_views_without_exception(app):
    at = app.run()
    assert not at.exception
    keys = {c.key for c in at.get("bidi_component")}
    assert keys == {"train.loss_chart", "train.accuracy_chart", "train.grad_chart", "train.hidden_chart"}
    assert "Example sums (0 of 6 right)" in [s.value for s in at.subheader]
    assert "<table" in at.html[0].proto.body
    assert [b.label for b in at.get("download_button")] == ["Download the model (.npz)",
                                                           "Download the history (.csv)"]
    assert status(at)["State"].endswith("idle")


def test_step_trains_one_chunk_and_pauses(app):
    at = app.run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # one chunk may reach the solved step
    at.button(key="train.step").click().run()
    tr = lab(at).trainer
    assert tr.step > 0
    assert not lab(at).running
    assert status(at)["State"].endswith("paused")
    assert status(at)["Step"] == f"{tr.step:,}"
    loss = chart(at, "train.loss_chart")
    assert array(loss["data"][0]["x"])[-1] == tr.step
    assert loss["layout"]["yaxis"]["type"] == "log"


def test_play_advances_on_every_run_and_pause_stops(app):
    at = open_with(app, Config(steps=1_000_000))  # a budget no tick can finish
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # train on past the solved step
    at.button(key="train.play").click().run()
    steps = [lab(at).trainer.step]
    for _ in range(3):
        at.run()
        steps.append(lab(at).trainer.step)
    assert all(b > a for a, b in zip(steps, steps[1:], strict=False)), steps
    assert status(at)["State"].endswith("training")
    assert all(d.disabled for d in at.get("download_button"))  # the weights are changing
    at.button(key="train.pause").click().run()
    paused = lab(at).trainer.step
    at.run()
    assert lab(at).trainer.step == paused
    assert status(at)["State"].endswith("paused")


def test_preset_fills_the_widgets_and_asks_to_reset_a_trained_model(app):
    at = app.run()
    at.button(key="train.step").click().run()
    at.selectbox(key="train.preset.w").set_value("classic").run()
    assert lab(at).config == PRESETS["classic"]
    assert at.query_params["algorithm"] == "classic" and at.query_params["batch"] == "1"
    assert lab(at).trainer.config.algorithm == "batched"  # the running model is kept until a reset
    assert any("reset" in i.value for i in at.info)
    at.button(key="train.reset_pending").click().run()
    assert lab(at).trainer.config == PRESETS["classic"]
    assert not at.info


def test_settings_apply_at_once_before_any_training(app):
    at = app.run()
    at.number_input(key="train.hidden.w").set_value(8).run()
    assert lab(at).trainer.config.hidden == 8 and not at.info
    assert chart(at, "train.hidden_chart")["data"][0]["y"] == [f"unit {i}" for i in range(8)]


def test_classic_preset_trains_one_sample_per_step(app):
    at = open_with(app, PRESETS["classic"])
    at.button(key="train.step").click().run()
    tr = lab(at).trainer
    assert tr.step > 0 and tr.samples == tr.step
    assert at.number_input(key="train.batch.w").disabled


def test_hand_made_classic_link_trains_the_classic_loop(app):
    app.query_params.update({"algorithm": "classic", "lr": "0.1"})
    at = app.run()
    assert not at.exception
    tr = lab(at).trainer
    assert tr.config == Config(algorithm="classic", lr=0.1).normalised()
    assert at.selectbox(key="train.activation.w").value == "sigmoid"
    assert at.number_input(key="train.batch.w").value == 1
    at.button(key="train.step").click().run()
    assert lab(at).trainer is tr and tr.step > 0 and tr.samples == tr.step


def test_architecture_change_keeps_the_model_until_reset(app):
    at = app.run()
    at.button(key="train.step").click().run()
    trained = lab(at).trainer
    at.number_input(key="train.hidden.w").set_value(8).run()
    assert lab(at).config.hidden == 8
    assert lab(at).trainer is trained and trained.config.hidden == 16
    (notice,) = at.info
    assert "hidden" in notice.value
    at.button(key="train.reset_pending").click().run()
    assert lab(at).trainer.config.hidden == 8 and lab(at).trainer.step == 0


def test_learning_rate_applies_at_once_without_reset(app):
    at = app.run()
    at.button(key="train.step").click().run()
    trained, step = lab(at).trainer, lab(at).trainer.step
    at.select_slider(key="train.lr.w").set_value(0.01).run()
    assert lab(at).trainer is trained and trained.step == step
    assert trained.config.lr == 0.01 and trained.optimizer.lr == 0.01
    assert not at.info  # nothing waits for a reset
    assert at.query_params["lr"] == "0.01"


def test_link_restores_the_configuration(app):
    wanted = Config(hidden=8, bits=6, lr=0.02, seed=7, optimizer="momentum", steps=500)
    at = open_with(app, wanted)
    assert not at.warning
    assert lab(at).config == wanted == lab(at).trainer.config
    assert at.number_input(key="train.hidden.w").value == 8
    assert at.slider(key="train.bits.w").value == 6


def test_malformed_link_values_fall_back_with_warnings(app):
    params = to_params(Config())
    params.update(hidden="abc", bits="99", lr="-1", cell="transformer")
    del params["seed"]
    app.query_params.update(params)
    at = app.run()
    assert not at.exception
    config = lab(at).config
    assert (config.hidden, config.bits, config.lr, config.cell, config.seed) == (16, 8, 0.05, "rnn", 0)
    text = " ".join(w.value for w in at.warning)
    for name in ("hidden", "bits", "lr", "cell"):
        assert f"({name}): " in text, name
    assert "seed" not in text  # left out of the link: its default, silently
    assert "Bits per number (bits): '99' is not allowed; it takes a whole number from 2 to 64" in text


def test_divergence_ends_in_a_clear_state_and_reset_recovers(app):
    at = open_with(app, DIVERGING)
    at.button(key="train.play").click().run()
    for _ in range(5):
        if lab(at).trainer.status == "diverged":
            break
        at.run()
    assert not at.exception
    assert status(at)["State"].endswith("diverged")
    assert any("diverged" in e.value and "smaller learning rate" in e.value for e in at.error)
    assert at.button(key="train.play").disabled and not lab(at).running
    at.select_slider(key="train.lr.w").set_value(0.05).run()
    at.button(key="train.reset").click().run()
    assert status(at)["State"].endswith("idle") and not at.error
    at.button(key="train.step").click().run()
    assert lab(at).trainer.status == "training"


def test_a_dead_network_ends_stalled_with_a_suggestion(app):
    at = open_with(app, Config(activation="relu", lr=1.0, steps=1500))  # every ReLU unit dies early
    at.button(key="train.play").click().run()
    for _ in range(10):
        if lab(at).trainer.status == "stalled":
            break
        at.run()
    assert not at.exception
    assert status(at)["State"].endswith("stalled")
    assert any("Training stalled" in e.value and "tanh or sigmoid instead of relu" in e.value
               for e in at.error)
    assert not lab(at).running


def test_a_model_that_cannot_be_built_gives_a_message(app, monkeypatch):
    monkeypatch.delitem(engine.model.CELLS, "lstm")
    at = app.run()
    at.selectbox(key="train.preset.w").set_value("lstm").run()
    assert any("Could not build" in e.value for e in at.error)
    at.button(key="train.reset_pending").click().run()
    assert not at.exception
    assert any("Could not build" in e.value and "lstm" in e.value for e in at.error)
    assert lab(at).trainer.config.cell == "rnn"  # the previous model is still there


@pytest.mark.parametrize("preset", ["lstm"])
def test_lstm_preset_trains(app, preset):
    at = app.run()
    at.selectbox(key="train.preset.w").set_value(preset).run()
    at.button(key="train.step").click().run()
    assert not at.exception and not at.error
    assert lab(at).trainer.config.cell == "lstm" and lab(at).trainer.step > 0


def test_finished_run_disables_play_until_the_budget_grows(app):
    at = open_with(app, Config(steps=5))
    at.button(key="train.play").click().run()
    assert lab(at).trainer.status == "finished"
    assert at.button(key="train.play").disabled
    assert status(at)["State"].split()[-1] in ("finished", "solved")
    at.number_input(key="train.steps.w").set_value(10).run()
    assert not at.button(key="train.play").disabled


def test_pause_when_solved_stops_at_the_step_that_solves(app):
    at = open_with(app, Config(steps=100_000))
    assert at.checkbox(key="train.auto_pause.w").value  # on by default
    at.button(key="train.play").click().run()
    for _ in range(40):
        if not lab(at).running:
            break
        at.run()
    tr = lab(at).trainer
    assert tr.solved_at_step is not None and tr.step == tr.solved_at_step  # paused at that very step
    assert tr.history.evals["exact_acc"][-1] == 1.0 and tr.history.evals["step"][-1] == tr.step
    assert status(at)["State"].endswith("solved")
    assert not any(d.disabled for d in at.get("download_button"))
    assert f"Solved at step {tr.solved_at_step:,}" in " ".join(a.value for a in at.success)
    for key in ("train.loss_chart", "train.accuracy_chart"):  # a dotted line and its label at that step
        layout = chart(at, key)["layout"]
        assert [(s["x0"], s["x1"]) for s in layout["shapes"]] == [(tr.solved_at_step, tr.solved_at_step)]
        assert f"solved at step {tr.solved_at_step:,}" in [a["text"] for a in layout["annotations"]]


def test_no_solved_mark_before_the_run_is_solved(app):
    at = app.run()
    at.select_slider(key="train.speed.w").set_value("class").run()
    at.button(key="train.step").click().run()  # one step at the class speed
    assert lab(at).trainer.solved_at_step is None
    assert "shapes" not in chart(at, "train.loss_chart")["layout"] and not at.success


def test_class_speed_trains_evenly_spread_steps_no_faster_than_its_pace(app):
    import time

    from ui import live
    at = app.run()
    at.select_slider(key="train.speed.w").set_value("class").run()
    at.button(key="train.play").click()
    start = time.perf_counter()
    at.run()
    steps = [lab(at).trainer.step]
    deadline = start + 60
    while steps[-1] < 8 and time.perf_counter() < deadline:
        at.run()
        steps.append(lab(at).trainer.step)
    elapsed = time.perf_counter() - start
    assert steps[-1] >= 8, "class speed trained too few steps in a minute"
    assert max(np.diff(steps)) <= live.MAX_DUE  # ticks train none, one or a few steps: never a burst
    assert steps[-1] <= live.CLASS_PACE * elapsed + live.MAX_DUE  # the pace is an upper bound
    at.button(key="train.step").click().run()  # Step at the class speed: one step
    assert lab(at).trainer.step == steps[-1] + 1 and not lab(at).running


def test_widgets_follow_a_reset_made_elsewhere(app):
    """Another page may reset the trainer around loaded weights; the sidebar then shows that model."""
    at = app.run()
    at.button(key="train.step").click().run()
    loaded = Trainer(Config(hidden=6, seed=3))
    session = lab(at)
    session.trainer, session.config, session.resets = loaded, loaded.config, session.resets + 1  # as reset()
    at.run()
    assert at.number_input(key="train.hidden.w").value == 6
    assert lab(at).trainer is loaded and not at.info


def test_settings_and_speed_survive_a_visit_to_another_page(app):
    at = app.run()
    at.number_input(key="train.hidden.w").set_value(12).run()
    at.select_slider(key="train.speed.w").set_value("slow").run()
    at.switch_page("pages/xor/page.py").run()
    at.switch_page("pages/train/page.py").run()
    assert not at.exception
    assert at.number_input(key="train.hidden.w").value == 12
    assert at.select_slider(key="train.speed.w").value == "slow"
    assert lab(at).config.hidden == 12
