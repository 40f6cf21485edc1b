"""The Runs page: every stored run, filters, links to the other pages, downloads, delete, compare."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import app_test

from engine import Trainer, checkpoint
from engine.config import Config
from runs import Store
from runs.export import history_csv
from runs.store import hash_key

PAGE = "pages/runs/page.py"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The run store of a fresh data folder, which the page reads too."""
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    return Store(tmp_path)


def trained(store: Store, state: str = "finished", origin: str = "train", **settings) -> str:
    """A run recorded directly in the store: a short real training with its history and weights."""
    config = Config(**{"hidden": 4, "steps": 30, "eval_every": 10, **settings})
    tr = Trainer(config)
    tr.advance(config.steps)
    run_id = store.create_run(config, origin)
    exact = tr.history.evals["exact_acc"]
    store.record(run_id, train=tr.history.train.to_dict(), evals=tr.history.evals.to_dict(),
                 snapshot=(tr.step, checkpoint.to_bytes(tr.model)), state=state, step=tr.step,
                 best_exact=float(exact.max()), solved_at=tr.solved_at_step, started=1.75e9)
    return run_id


def table(at):
    return at.dataframe[0].value


def choose(at, *run_ids):
    at.multiselect(key="runs.chosen.w").set_value(list(run_ids)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def media(monkeypatch):
    """The media managers of the test's runs (AppTest makes one per run): deferred downloads live there."""
    made = []

    class Recording(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Recording)
    return made


def download(at, media, key: str) -> bytes:
    """What clicking the download button ``key`` gives (its data is made when clicked)."""
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith(key)]
    manager = media[-1]
    url = manager.execute_deferred(button.proto.deferred_file_id)
    return manager.read_file(url.rsplit("/", 1)[-1].split(".")[0]).content


def test_an_empty_store_says_how_runs_get_here(store, page):
    assert "No runs are stored yet" in page.info[0].value
    assert not page.dataframe


def test_lists_every_stored_run_with_state_settings_steps_and_best_exact(store, open_page):
    a = trained(store, "finished", cell="rnn")
    b = trained(store, "paused", cell="gru", lr=0.1)
    at = open_page()
    df = table(at)
    assert df["id"].tolist() == [b, a], "newest first"
    assert df["state"].tolist() == ["paused", "finished"]
    assert df["cell"].tolist() == ["gru", "rnn"]
    assert df["step"].tolist() == [30, 30]
    assert df["lr"].tolist() == [0.1, 0.05]
    for run_id in (a, b):
        run = store.read_run(run_id)
        row = df[df["id"] == run_id].iloc[0]
        assert row["best_exact"] == pytest.approx(run["best_exact"])
        assert row["started"].timestamp() == pytest.approx(1.75e9)
    assert any("2 of 2 runs shown" in c.value for c in at.caption)


def test_filters_by_state_and_cell(store, open_page):
    a = trained(store, "finished", cell="rnn")
    b = trained(store, "finished", cell="gru")
    c = trained(store, "diverged", cell="gru")
    at = open_page()
    at.multiselect(key="runs.cells.w").set_value(["gru"]).run()
    assert set(table(at)["id"]) == {b, c}
    at.multiselect(key="runs.states.w").set_value(["finished"]).run()
    assert table(at)["id"].tolist() == [b]
    at.multiselect(key="runs.cells.w").set_value([]).run()
    assert set(table(at)["id"]) == {a, b}
    assert any("2 of 3 runs shown" in c.value for c in at.caption)


def test_a_chosen_run_opens_in_train_unrolled_and_gradients_by_its_id(store, open_page):
    run_id = trained(store)
    at = choose(open_page(), run_id)
    links = {link.value: link.proto for link in at.get("page_link")}
    assert set(links) == {"Train", "Unrolled", "Gradients"}
    assert all(p.query_string == f"run={run_id}" for p in links.values())
    assert [links[t].page for t in ("Train", "Unrolled", "Gradients")] == ["", "unrolled", "gradients"]


def test_downloads_give_the_runs_latest_weights_and_its_history(store, open_page, media):
    run_id = trained(store, hidden=5)
    at = choose(open_page(), run_id)
    model = checkpoint.load(download(at, media, f"npz_{run_id}"))
    stored = store.snapshot(run_id)
    assert model.config.hidden == 5
    for name, w in stored.params.items():
        np.testing.assert_array_equal(model.params[name], w, err_msg=name)
    text = download(at, media, f"csv_{run_id}").decode()
    assert text == history_csv(store.history(run_id))
    assert len(text.splitlines()) == 1 + 31  # header, step 0's evaluation, 30 steps


def test_weights_download_follows_a_run_that_is_still_training(store, open_page, media):
    run_id = trained(store, "training", hidden=4)
    at = choose(open_page(), run_id)
    newer = Trainer(Config(hidden=4, seed=7))
    store.record(run_id, snapshot=(99, checkpoint.to_bytes(newer.model)), step=99)  # the worker publishes
    got = checkpoint.load(download(at, media, f"npz_{run_id}"))
    for name, w in newer.model.params.items():
        np.testing.assert_array_equal(got.params[name], w, err_msg=name)


def test_table_downloads_as_csv_with_the_filters_applied(store, open_page, media):
    trained(store, "finished", cell="rnn")
    b = trained(store, "finished", cell="lstm")
    at = open_page()
    at.multiselect(key="runs.cells.w").set_value(["lstm"]).run()
    rows = list(csv.DictReader(io.StringIO(download(at, media, "table_csv").decode())))
    assert [(r["id"], r["cell"]) for r in rows] == [(b, "lstm")]


def test_delete_asks_first_then_removes_the_run(store, open_page):
    keep, gone = trained(store), trained(store)
    at = choose(open_page(), gone)
    at.button(key=f"runs.delete_{gone}").click().run()
    assert "cannot be undone" in at.warning[0].value
    at.button(key=f"runs.keep_{gone}").click().run()
    assert not at.warning and store.read_run(gone) is not None
    at.button(key=f"runs.delete_{gone}").click().run()
    at.button(key=f"runs.confirm_{gone}").click().run()
    assert store.read_run(gone) is None and store.history(gone)["train"]["step"].size == 0
    assert f"Deleted run {gone}" in at.success[0].value
    assert table(at)["id"].tolist() == [keep]
    assert at.multiselect(key="runs.chosen.w").value == []


def test_a_training_run_cannot_be_deleted_from_here(store, open_page):
    run_id = trained(store, "training")
    at = choose(open_page(), run_id)
    assert at.button(key=f"runs.delete_{run_id}").disabled


def test_two_runs_compare_curves_together_and_settings_side_by_side(store, open_page):
    a = trained(store, hidden=4, lr=0.05)
    b = trained(store, hidden=4, lr=0.2, seed=3)
    at = choose(open_page(), a, b)
    charts = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    loss = charts["runs.loss_chart"]["data"]
    assert [t["name"] for t in loss] == [a, b]
    assert [t["name"] for t in charts["runs.accuracy_chart"]["data"]] == [a, b]
    settings = at.dataframe[1].value
    differs = settings[settings["differs"] == "≠"]["setting"].tolist()
    assert differs == ["Learning rate", "Seed"]
    at.toggle(key="runs.only_diff.w").set_value(True).run()
    assert at.dataframe[1].value["setting"].tolist() == ["Learning rate", "Seed"]


def test_a_visitors_run_is_deleted_only_from_the_tab_holding_its_key(store, open_page):
    run_id = trained(store, "paused")
    store.update_run(run_id, key_hash=hash_key("their-key"))  # started on someone's Train page
    at = choose(open_page(), run_id)
    at.button(key=f"runs.delete_{run_id}").click().run()
    at.button(key=f"runs.confirm_{run_id}").click().run()
    assert "only that tab can delete it" in at.error[0].value and store.read_run(run_id) is not None
    lab = at.session_state["lab"]
    lab.run_id, lab.key = run_id, "their-key"  # the tab that started it
    at.button(key=f"runs.delete_{run_id}").click().run()
    at.button(key=f"runs.confirm_{run_id}").click().run()
    assert store.read_run(run_id) is None
