"""RunView: a page's incremental window on a run equals what the store holds."""

import numpy as np

from engine.config import Config
from runs.store import Store
from runs.view import RunView
from runs.worker import Worker

CONFIG = Config(hidden=4, bits=4, batch=8, steps=300, eval_every=10, seed=4)


def assert_view_matches_store(view, store, run_id):
    full = store.history(run_id)
    for kind, table in (("train", view.history.train), ("evals", view.history.evals)):
        for col in table.names:
            np.testing.assert_array_equal(table[col], full[kind][col], err_msg=f"{kind}.{col}")


def test_polling_a_training_run_reads_each_row_once(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train")
    view = RunView(store, run_id)
    assert view.state == "queued" and view.model is None and view.step == 0
    w = Worker(store, run_id)
    while w.turn():
        view.refresh()
        assert_view_matches_store(view, store, run_id)
    view.refresh()
    assert view.done and view.state == "finished" and view.step == 300
    for k, v in w.trainer.model.params.items():
        np.testing.assert_array_equal(view.model.params[k], v)
    assert not view.refresh()  # nothing new


def test_a_run_that_goes_back_to_its_checkpoint_is_read_again(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train")
    w = Worker(store, run_id, paused=True)
    store.send_command(run_id, "step", 40)
    while w.trainer.step < 40:
        w.turn()
    w.trainer.advance(30)
    w._record()  # recorded, never checkpointed
    view = RunView(store, run_id)
    assert view.step == 70
    store.mark_interrupted(run_id)
    Worker(store, run_id, paused=True)  # truncates to the checkpoint at step 40
    view.refresh()
    assert view.step == 40 and view.state == "paused"
    assert_view_matches_store(view, store, run_id)


def test_a_deleted_run_reads_as_done(tmp_path):
    store = Store(tmp_path)
    run_id = store.create_run(CONFIG, "train")
    view = RunView(store, run_id)
    store.delete_run(run_id)
    assert view.refresh() and view.done and view.state is None
