"""The router: the Train page by default, and a live run status on every page."""

from __future__ import annotations

from app_helpers import settled, wait_until

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
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # the steps may solve the run
    at.button(key="train.step").click().run()
    settled(at)
    at.run()
    assert at.markdown[0].value.endswith("Train")
    assert status(at)["State"].endswith("paused")


def test_training_goes_on_and_the_status_updates_on_another_page(app):
    app.query_params.update(to_params(Config(steps=1_000_000)))  # a budget no test reaches
    at = app.run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # train on past the solved step
    at.button(key="train.play").click().run()
    at.switch_page("pages/unrolled/page.py").run()
    assert not at.exception
    first = at.session_state["lab"].trainer.step
    tr = wait_until(at, lambda lab: lab.trainer.step > first, what="more steps").trainer
    assert status(at)["State"].endswith("training")
    assert status(at)["Step"] == f"{tr.step:,}"


def test_a_full_run_polls_the_store_once_however_many_live_views_the_page_has(app):
    app.query_params["steps"] = "10000000"  # a budget no test reaches
    at = app.run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()  # train on past the solved step
    at.button(key="train.play").click().run()  # the Train page has a polling view, then the status bar
    lab = wait_until(at, lambda lab: lab.view.state == "training", what="the worker")
    for _ in range(2):
        before = lab.polls
        at.run()
        assert lab.polls == before + 1
    at.switch_page("pages/unrolled/page.py").run()  # three polling views and the status bar
    before = lab.polls
    at.run()
    assert lab.polls == before + 1


def test_the_run_controls_head_the_status_bar_of_every_page_that_shows_the_run(app):
    app.query_params["steps"] = "1000000"
    at = app.run()
    for page in ("pages/unrolled/page.py", "pages/gradients/page.py", "pages/runs/page.py"):
        at.switch_page(page).run()
        assert not at.exception
        labels = [b.label for b in at.button if b.key and b.key.startswith("train.")]
        assert labels[:3] == ["Play", "Pause", "Step"]
        assert "Reset" not in labels  # it goes with the Train page's settings
    at.switch_page("pages/unrolled/page.py").run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()
    at.button(key="train.play").click().run()  # Play from the Unrolled page
    wait_until(at, lambda lab: lab.trainer.step > 0, what="training")
    at.button(key="train.pause").click().run()
    assert status(at)["State"].endswith("paused")
    at.switch_page("pages/xor/page.py").run()  # its own network: no addition run controls
    assert not [b for b in at.button if b.key == "train.play"]
