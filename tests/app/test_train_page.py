"""The Train page: hyperparameters reach the run, the controls command its worker, the views follow.

The page never trains: Play and Step record the run and a worker process trains it. Fragments run
once per ``at.run()``, so each run is one poll of the run store; tests rerun the page until the
worker's progress shows (``app_helpers.wait_until``), with a deadline.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from app_helpers import lab, settled, wait_state, wait_until

import engine.model
from engine import PRESETS, Config, Trainer
from runs.service import RunService
from ui import live
from ui.link import to_params

DIVERGING = Config(activation="relu", optimizer="sgd", lr=10.0, layers=2)  # NaN loss within ~5 steps


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


def test_step_trains_a_few_steps_in_a_worker_and_pauses(app):
    at = app.run()
    assert lab(at).view is None and "run" not in at.query_params  # nothing recorded before Play or Step
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # the steps may reach the solved step
    at.button(key="train.step").click().run()
    session = settled(at)
    tr = session.trainer
    assert tr.step == live.STEP_STEPS["full"] and tr.state == "paused"
    assert at.query_params["run"] == session.run_id and at.query_params["key"] == session.key
    assert status(at)["State"].endswith("paused")
    assert status(at)["Step"] == f"{tr.step:,}"
    loss = chart(at, "train.loss_chart")
    assert array(loss["data"][0]["x"])[-1] == tr.step
    assert loss["layout"]["yaxis"]["type"] == "log"


def test_play_trains_in_a_worker_and_pause_stops(app):
    at = open_with(app, Config(steps=1_000_000))  # a budget no test reaches
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # train on past the solved step
    at.button(key="train.play").click().run()
    first = wait_until(at, lambda lab: lab.trainer.step > 20, what="the first steps").trainer.step
    wait_until(at, lambda lab: lab.trainer.step > first, what="more steps")
    assert status(at)["State"].endswith("training")
    assert not any(d.disabled for d in at.get("download_button"))  # the latest snapshot downloads
    at.button(key="train.pause").click().run()
    assert status(at)["State"].endswith("paused")  # at once, before the worker has answered
    paused = settled(at).trainer.step
    at.run()
    at.run()
    assert lab(at).trainer.step == paused
    assert status(at)["State"].endswith("paused")


def test_a_preset_starts_a_fresh_model_with_its_settings_in_one_click(app):
    at = app.run()
    assert at.selectbox(key="train.preset.w").value == "fast"
    at.button(key="train.step").click().run()
    trained = settled(at)
    old_run = trained.run_id
    at.selectbox(key="train.preset.w").set_value("classic").run()
    assert lab(at).config == PRESETS["classic"] == lab(at).trainer.config  # a fresh model, at once
    assert lab(at).view is None and lab(at).trainer.step == 0
    assert at.query_params["algorithm"] == "classic" and at.query_params["batch"] == "1"
    assert "run" not in at.query_params
    assert status(at)["State"].endswith("idle") and not at.info  # no notes left from the old run
    assert RunService.get().store.read_run(old_run)["state"] == "paused"  # the old run is kept
    at.number_input(key="train.hidden.w").set_value(9).run()  # no preset has 9 units
    assert at.selectbox(key="train.preset.w").value == "custom"
    at.number_input(key="train.hidden.w").set_value(PRESETS["classic"].hidden).run()  # the preset's again
    assert at.selectbox(key="train.preset.w").value == "classic"


def test_a_preset_chosen_while_training_asks_once(app):
    at = open_with(app, Config(steps=1_000_000))
    at.checkbox(key="train.auto_pause.w").uncheck().run()
    at.button(key="train.play").click().run()
    training = wait_until(at, lambda lab: lab.trainer.step > 0, what="training").run_id
    at.selectbox(key="train.preset.w").set_value("lstm").run()
    assert lab(at).run_id == training and lab(at).running  # nothing changed yet
    assert any("Start a fresh model with the **lstm** preset" in w.value for w in at.warning)
    assert at.selectbox(key="train.preset.w").value == "custom"  # still what trains (a bigger budget)
    at.button(key="train.preset_no").click().run()
    assert not any("preset?" in w.value for w in at.warning) and lab(at).run_id == training
    at.selectbox(key="train.preset.w").set_value("lstm").run()
    at.button(key="train.preset_yes").click().run()
    assert lab(at).trainer.config == PRESETS["lstm"] and lab(at).view is None
    assert at.selectbox(key="train.preset.w").value == "lstm"
    wait_until(at, lambda lab: RunService.get().store.read_run(training)["state"] == "paused",
               what="the old run to pause")


def test_settings_apply_at_once_before_any_training(app):
    at = app.run()
    at.number_input(key="train.hidden.w").set_value(8).run()
    assert lab(at).trainer.config.hidden == 8 and not at.info
    assert chart(at, "train.hidden_chart")["data"][0]["y"] == [f"unit {i}" for i in range(8)]


def test_classic_preset_trains_one_sample_per_step(app):
    at = open_with(app, PRESETS["classic"])
    at.button(key="train.step").click().run()
    tr = settled(at).trainer
    assert tr.step > 0 and tr.samples == tr.step
    assert at.number_input(key="train.batch.w").disabled


def test_hand_made_classic_link_trains_the_classic_loop(app):
    app.query_params.update({"algorithm": "classic", "lr": "0.1"})
    at = app.run()
    assert not at.exception
    assert lab(at).trainer.config == Config(algorithm="classic", lr=0.1).normalised()
    assert at.selectbox(key="train.activation.w").value == "sigmoid"
    assert at.number_input(key="train.batch.w").value == 1
    at.button(key="train.step").click().run()
    tr = settled(at).trainer
    assert tr.config.algorithm == "classic" and tr.step > 0 and tr.samples == tr.step


def test_architecture_change_keeps_the_model_until_reset(app):
    at = app.run()
    at.button(key="train.step").click().run()
    trained = settled(at).trainer
    at.number_input(key="train.hidden.w").set_value(8).run()
    assert lab(at).config.hidden == 8
    assert lab(at).trainer is trained and trained.config.hidden == 16
    (notice,) = at.info
    assert "hidden" in notice.value
    at.button(key="train.reset_pending").click().run()
    assert lab(at).trainer.config.hidden == 8 and lab(at).trainer.step == 0
    kept = RunService.get().store.read_run(trained.run_id)  # the trained run stays in the store
    assert kept["state"] == "paused" and kept["step"] == trained.step


def test_learning_rate_applies_at_once_without_reset(app):
    at = app.run()
    at.button(key="train.step").click().run()
    trained = settled(at).trainer
    step = trained.step
    at.select_slider(key="train.lr.w").set_value(0.01).run()
    wait_until(at, lambda lab: lab.trainer.config.lr == 0.01, what="the worker to take the learning rate")
    assert lab(at).trainer is trained and trained.step == step
    assert not at.info  # nothing waits for a reset
    assert at.query_params["lr"] == "0.01"
    at.button(key="train.step").click().run()  # the next steps train with it
    assert settled(at).trainer.history.train["lr"][-1] == 0.01


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
    wait_state(at, "diverged")
    settled(at)
    assert status(at)["State"].endswith("diverged")
    assert any("diverged" in e.value and "smaller learning rate" in e.value for e in at.error)
    assert at.button(key="train.play").disabled and not lab(at).running
    at.select_slider(key="train.lr.w").set_value(0.05).run()
    at.button(key="train.reset").click().run()
    assert status(at)["State"].endswith("idle") and not at.error
    at.button(key="train.step").click().run()
    assert settled(at).trainer.state == "paused"


def test_a_dead_network_ends_stalled_with_a_suggestion(app):
    at = open_with(app, Config(activation="relu", lr=1.0, steps=1500))  # every ReLU unit dies early
    at.button(key="train.play").click().run()
    wait_state(at, "stalled")
    settled(at)
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
    tr = settled(at).trainer
    assert not at.exception and not at.error
    assert tr.config.cell == "lstm" and tr.step > 0


def test_finished_run_disables_play_until_the_budget_grows(app):
    at = open_with(app, Config(steps=5))
    at.button(key="train.play").click().run()
    wait_state(at, "finished")
    settled(at)
    assert at.button(key="train.play").disabled
    assert status(at)["State"].split()[-1] == "finished"
    assert "budget is used up" in " ".join(c.value for c in at.caption)
    at.number_input(key="train.steps.w").set_value(10).run()
    wait_until(at, lambda lab: lab.trainer.config.steps == 10, what="the new budget")
    assert not at.button(key="train.play").disabled
    at.button(key="train.play").click().run()
    wait_until(at, lambda lab: lab.trainer.step == 10 and lab.trainer.state == "finished", what="ten steps")


def test_pause_when_solved_stops_at_the_step_that_solves(app):
    at = open_with(app, Config(steps=100_000))
    assert at.checkbox(key="train.auto_pause.w").value  # on by default
    at.button(key="train.play").click().run()
    tr = settled(at).trainer
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
    assert settled(at).trainer.step == 1
    assert lab(at).trainer.solved_at_step is None
    assert "shapes" not in chart(at, "train.loss_chart")["layout"] and not at.success


def test_class_speed_trains_no_faster_than_its_pace(app):
    import time

    at = app.run()
    at.select_slider(key="train.speed.w").set_value("class").run()
    at.button(key="train.play").click().run()
    wait_until(at, lambda lab: lab.trainer.step >= 1, what="the first step")
    start, first = time.monotonic(), lab(at).trainer.step
    wait_until(at, lambda lab: lab.trainer.step >= first + 8, what="eight paced steps")
    elapsed = time.monotonic() - start
    assert lab(at).trainer.step - first <= live.SPEEDS["class"] * elapsed + 2  # the pace is an upper bound
    at.button(key="train.pause").click().run()
    at_pause = settled(at).trainer.step
    at.button(key="train.step").click().run()  # Step at the class speed: one step
    assert settled(at).trainer.step == at_pause + 1


def test_widgets_follow_a_reset_made_elsewhere(app):
    """Another page may reset the tab around loaded weights; the sidebar then shows that model."""
    at = app.run()
    loaded = Trainer(Config(hidden=6, seed=3))
    session = lab(at)
    session.draft, session.config, session.resets = loaded, loaded.config, session.resets + 1  # as reset()
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



def test_play_and_step_train_on_from_a_solved_run(app):
    at = open_with(app, Config(steps=100_000))
    at.button(key="train.play").click().run()
    solved = settled(at).trainer.step  # paused where it was solved
    at.button(key="train.step").click().run()  # the click waits a moment for the worker's steps
    assert settled(at).trainer.step == solved + live.STEP_STEPS["full"]
    at.button(key="train.play").click().run()
    wait_until(at, lambda lab: lab.trainer.step > solved + live.STEP_STEPS["full"], what="training on")
    assert lab(at).running


def test_a_step_the_worker_carries_out_at_once_is_drawn_by_the_clicks_own_run(app, monkeypatch):
    """The click's run waits for the worker, then draws the paused run: no second run of the page."""
    reruns = []
    real_rerun = live.st.rerun
    monkeypatch.setattr(live.st, "rerun", lambda *a, **k: (reruns.append(1), real_rerun(*a, **k)))
    at = open_with(app, Config(steps=1_000_000))
    at.checkbox(key="train.auto_pause.w").uncheck().run()
    at.button(key="train.play").click().run()
    wait_until(at, lambda lab: lab.trainer.step > 0 and lab.view.state == "training", what="training")
    reruns.clear()
    at.button(key="train.step").click().run()
    if lab(at).intent is not None:
        pytest.skip("the worker took longer than the click waits for (a busy machine)")
    assert lab(at).view.state == "paused" and status(at)["State"].endswith("paused")
    assert reruns == []


def test_step_while_training_pauses_after_a_few_more_steps(app):
    at = open_with(app, Config(steps=1_000_000))
    at.checkbox(key="train.auto_pause.w").uncheck().run()
    at.select_slider(key="train.speed.w").set_value("slow").run()  # 30 steps a second
    at.button(key="train.play").click().run()
    before = wait_until(at, lambda lab: lab.trainer.step > 0 and lab.view.state == "training",
                        what="training").trainer.step
    at.button(key="train.step").click().run()
    stopped = settled(at).trainer
    assert stopped.state == "paused"
    assert before + live.STEP_STEPS["slow"] <= stopped.step <= before + live.STEP_STEPS["slow"] + 30
