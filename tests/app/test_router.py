"""The router: the Train page by default, and a live run status on every page."""

from __future__ import annotations

from engine import Config
from ui.link import to_params


def status(at) -> dict[str, str]:
    return {m.label.split(" (")[0]: m.value for m in at.metric}


def test_opens_on_the_train_page_with_the_run_status(app):
    at = app.run()
    assert not at.exception
    assert at.markdown[0].value.endswith("RNN Addition Lab · Train")
    assert list(status(at)) == ["State", "Step", "Samples seen", "Loss", "Exact sums", "Steps/s"]
    assert status(at)["Step"] == "0"
    assert at.metric[1].label == "Step (of 1,000)"


def test_status_stays_on_top_across_reruns(app):
    at = app.run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # one chunk may solve the run by now
    at.button(key="train.step").click().run()
    at.run()
    assert at.markdown[0].value.endswith("Train")
    assert status(at)["State"].endswith("paused")


def test_training_goes_on_and_the_status_updates_on_another_page(app):
    app.query_params.update(to_params(Config(steps=1_000_000)))  # a budget no tick can finish
    at = app.run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # train on past the solved step
    at.button(key="train.play").click().run()
    at.switch_page("pages/unrolled/page.py").run()
    assert not at.exception
    first = at.session_state["lab"].trainer.step
    at.run()
    tr = at.session_state["lab"].trainer
    assert tr.step > first
    assert status(at)["State"].endswith("training")
    assert status(at)["Step"] == f"{tr.step:,}"


def test_a_full_run_trains_one_chunk_however_many_live_views_the_page_has(app):
    app.query_params["steps"] = "10000000"  # a budget no chunk can finish
    at = app.run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # train on past the solved step
    at.button(key="train.play").click().run()  # the Train page has a driving view, then the status bar
    lab = at.session_state["lab"]
    for _ in range(2):
        before = lab.ticks
        at.run()
        assert lab.ticks == before + 1
    at.switch_page("pages/unrolled/page.py").run()  # three driving views and the status bar
    before = lab.ticks
    at.run()
    assert lab.ticks == before + 1
