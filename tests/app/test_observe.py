"""Pages observe runs: the link brings a tab back to its run, a shared link only watches, and the
run's states (queued, interrupted, deleted) show on the page.

Each ``AppTest`` is one browser tab; a new one opened with a tab's link is that tab refreshed (or
another visitor). The runs train in worker processes; tests wait for them by polling.
"""

from __future__ import annotations

from pathlib import Path

from app_helpers import lab, settled, wait_state, wait_until
from streamlit.testing.v1 import AppTest

from engine import Config
from runs.service import RunService
from ui.link import to_params

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
TIMEOUT = 30


def status(at) -> dict[str, str]:
    return {m.label.split(" (")[0]: m.value for m in at.metric}


def tab(params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(params)
    return at.run()


def trained_tab(app, steps: int = 1_000_000) -> AppTest:
    """A tab that has trained its run to some step and paused it."""
    app.query_params.update(to_params(Config(steps=steps)))
    at = app.run()
    at.checkbox(key="train.auto_pause.w").uncheck().run()
    at.button(key="train.step").click().run()
    settled(at)
    return at


def test_a_refresh_comes_back_to_the_same_run_with_control(app):
    at = trained_tab(app)
    mine = lab(at)
    again = tab(dict(at.query_params))  # the same link: a refresh
    assert not again.exception
    back = lab(again)
    assert back.run_id == mine.run_id and back.key == mine.key and back.owned
    assert back.trainer.step == mine.trainer.step and len(back.trainer.history.train) == mine.trainer.step
    assert status(again)["Step"] == f"{mine.trainer.step:,}" and status(again)["State"].endswith("paused")
    again.button(key="train.step").click().run()  # it controls the run
    assert settled(again).trainer.step == 2 * mine.trainer.step


def test_the_copy_link_leaves_the_key_out(app):
    at = trained_tab(app)
    (code,) = [c.value for c in at.code if "run=" in c.value]
    assert f"run={lab(at).run_id}" in code and "key=" not in code


def test_a_shared_link_watches_and_trains_a_copy_but_never_changes_the_run(app):
    at = trained_tab(app)
    owner = lab(at)
    shared = {k: v for k, v in at.query_params.items() if k != "key"}
    other = tab(shared)
    watcher = lab(other)
    assert watcher.run_id == owner.run_id and not watcher.owned
    assert watcher.trainer.step == owner.trainer.step
    assert any("You are watching run" in i.value for i in other.info)
    for name in ("play", "pause", "step"):
        assert other.button(key=f"train.{name}").disabled, name
    assert other.select_slider(key="train.speed.w").disabled
    other.select_slider(key="train.lr.w").set_value(0.01).run()  # a setting becomes a pending change
    assert any("reset" in i.value for i in other.info)
    assert RunService.get().store.read_run(owner.run_id)["lr"] == 0.05  # never sent
    other.button(key="status.copy").click().run()
    copy = lab(other)
    assert copy.owned and copy.run_id != owner.run_id and copy.trainer.step == owner.trainer.step
    assert len(copy.trainer.history.train) == owner.trainer.step  # with the history so far
    assert other.query_params["run"] == copy.run_id and other.query_params["key"] == copy.key
    other.checkbox(key="train.auto_pause.w").uncheck().run()  # the copy is this tab's to change
    other.button(key="train.step").click().run()
    assert settled(other).trainer.step == 2 * owner.trainer.step
    at.run()
    assert lab(at).trainer.step == owner.trainer.step  # the original is untouched


def test_a_wrong_key_only_watches(app):
    at = trained_tab(app)
    other = tab({**at.query_params, "key": "not-the-key"})
    assert not lab(other).owned and lab(other).run_id == lab(at).run_id
    assert any("control key is not this run's" in w.value for w in other.warning)


def test_a_link_to_a_missing_run_says_so_and_shows_a_fresh_model():
    at = tab({"run": "0123456789ab"})
    assert not at.exception
    assert lab(at).view is None and "run" not in at.query_params
    assert any("There is no run 0123456789ab" in w.value for w in at.warning)


def test_a_run_beyond_the_servers_limit_waits_as_queued_and_then_starts(app):
    at = app.run()
    service = RunService.get()
    service.max_active = 0  # the server is full
    at.button(key="train.play").click().run()
    at.run()
    assert status(at)["State"].endswith("queued")
    assert any("Waiting for a free slot" in i.value for i in at.info)
    service.max_active = 8
    wait_until(at, lambda lab: lab.trainer.step > 0, what="the queued run to start")


def test_an_interrupted_run_says_so_and_play_resumes_it(app):
    at = trained_tab(app)
    run_id, step = lab(at).run_id, lab(at).trainer.step
    service = RunService.get()
    service.store.mark_interrupted(run_id, "The server stopped while it trained.")
    wait_state(at, "interrupted")
    assert status(at)["State"].endswith("interrupted")
    assert any("Press **Play** to train on" in w.value for w in at.warning)
    at.button(key="train.play").click().run()
    wait_until(at, lambda lab: lab.trainer.step > step and lab.view.state in ("training", "paused", "solved"),
               what="the resumed run")


def test_a_run_deleted_elsewhere_shows_as_deleted(app):
    at = trained_tab(app)
    RunService.get().delete(lab(at).run_id, lab(at).key)
    wait_until(at, lambda lab: lab.view.state is None, what="the deletion")
    assert status(at)["State"].endswith("deleted")
    assert at.button(key="train.play").disabled
    at.button(key="train.reset").click().run()
    assert lab(at).view is None and status(at)["State"].endswith("idle")


def test_reset_keeps_a_trained_run_and_drops_an_untouched_one(app):
    at = trained_tab(app)
    trained = lab(at).run_id
    at.button(key="train.reset").click().run()
    store = RunService.get().store
    assert store.read_run(trained)["state"] == "paused"
    assert "run" not in at.query_params
    at.select_slider(key="train.speed.w").set_value("class").run()
    at.button(key="train.step").click().run()  # a run that may not have stepped yet when reset
    untouched = lab(at).run_id
    at.button(key="train.reset").click().run()
    kept = store.read_run(untouched)
    assert kept is None or kept["step"] > 0


def test_a_run_opened_by_a_link_on_another_page_replaces_the_tabs_own(app):
    at = trained_tab(app)
    first = lab(at).run_id
    other = trained_tab(AppTest.from_file(APP, default_timeout=TIMEOUT))  # another visitor's run
    theirs = lab(other).run_id
    at.switch_page("pages/runs/page.py").run()
    at.query_params["run"] = theirs  # as the Runs page's "open in Unrolled" link does
    at.switch_page("pages/unrolled/page.py").run()
    assert lab(at).run_id == theirs and not lab(at).owned
    assert RunService.get().store.read_run(first)["state"] == "paused"  # the tab's own run is kept
