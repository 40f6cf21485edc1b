"""A worker in this process: it trains as the trainer does, and obeys commands within one chunk."""

import numpy as np

from engine import train_state
from engine.config import Config, preset
from engine.train import Trainer
from runs.store import Store
from runs.worker import Worker

CONFIG = Config(hidden=4, bits=4, batch=8, steps=400, eval_every=10, seed=3)


def new_run(tmp_path, config=CONFIG, **kw):
    store = Store(tmp_path)
    return store, store.create_run(config, "train", **kw)


def assert_store_matches(store, run_id, trainer):
    hist = store.history(run_id)
    for kind, table in (("train", trainer.history.train), ("evals", trainer.history.evals)):
        for col in table.names:
            np.testing.assert_array_equal(hist[kind][col], table[col], err_msg=f"{kind}.{col}")
    model = store.snapshot(run_id)
    for k, v in trainer.model.params.items():
        np.testing.assert_array_equal(model.params[k], v, err_msg=k)


def test_a_worker_records_what_an_uninterrupted_trainer_does(tmp_path):
    store, run_id = new_run(tmp_path)
    Worker(store, run_id).run()
    whole = Trainer(CONFIG)
    whole.run()
    run = store.read_run(run_id)
    assert (run["state"], run["step"], run["samples"]) == ("finished", 400, 400 * 8)
    assert run["ended"] is not None and run["best_exact"] == whole.history.evals["exact_acc"].max()
    assert_store_matches(store, run_id, whole)


def test_the_classic_loop_runs_the_same_way(tmp_path):
    config = preset("classic").replace(steps=300, eval_every=100)
    store, run_id = new_run(tmp_path, config)
    Worker(store, run_id).run()
    whole = Trainer(config)
    whole.run()
    assert store.read_run(run_id)["state"] == "finished"
    assert_store_matches(store, run_id, whole)


def test_pause_takes_effect_in_the_next_turn_with_no_further_step(tmp_path):
    store, run_id = new_run(tmp_path, CONFIG.replace(steps=1_000_000))  # a budget no turn can finish
    w = Worker(store, run_id)
    w.turn()
    step = w.trainer.step
    store.send_command(run_id, "pause")
    assert w.turn()
    run = store.read_run(run_id)
    assert (run["state"], run["step"], w.trainer.step) == ("paused", step, step)
    assert store.checkpoint(run_id)[0] == step  # pausing checkpoints
    w.turn()
    assert w.trainer.step == step


def test_step_n_takes_exactly_n_steps_then_pauses(tmp_path):
    store, run_id = new_run(tmp_path)
    w = Worker(store, run_id, paused=True)
    store.send_command(run_id, "step", 7)
    while w.turn() and store.read_run(run_id)["state"] != "paused":
        pass
    assert w.trainer.step == 7 and store.read_run(run_id)["step"] == 7


def test_learning_rate_change_applies_from_the_next_step(tmp_path):
    store, run_id = new_run(tmp_path)
    w = Worker(store, run_id, paused=True)
    store.send_command(run_id, "step", 5)
    while w.trainer.step < 5:
        w.turn()
    store.send_command(run_id, "lr", 0.01)
    store.send_command(run_id, "step", 5)
    while w.trainer.step < 10:
        w.turn()
    lr = store.history(run_id)["train"]["lr"]
    assert lr.tolist() == [0.05] * 5 + [0.01] * 5
    assert store.read_run(run_id)["lr"] == 0.01
    ref = Trainer(CONFIG)  # the same as a trainer told the same
    ref.advance(5)
    ref.set_lr(0.01)
    ref.advance(5)
    np.testing.assert_array_equal(w.trainer.model.params["Why"], ref.model.params["Why"])


def test_stop_finishes_the_run_and_ends_the_worker(tmp_path):
    store, run_id = new_run(tmp_path)
    w = Worker(store, run_id)
    w.turn()
    store.send_command(run_id, "stop")
    assert not w.turn()
    run = store.read_run(run_id)
    assert run["state"] == "finished" and run["message"].startswith("Stopped at step")
    assert store.checkpoint(run_id)[0] == run["step"]


def test_pause_when_solved_stops_at_the_solving_step(tmp_path):
    config = Config(steps=3000, eval_every=20, seed=0)
    store, run_id = new_run(tmp_path, config, pause_when_solved=True)
    w = Worker(store, run_id)
    while w.turn() and store.read_run(run_id)["state"] == "training":
        pass
    run = store.read_run(run_id)
    assert run["state"] == "solved" and run["solved_at"] == run["step"] == w.trainer.step
    ref = Trainer(config)
    ref.advance(3000, stop_when_solved=True)
    assert ref.solved_at_step == run["solved_at"]


def test_a_new_worker_continues_from_the_checkpoint_and_redoes_later_rows(tmp_path):
    store, run_id = new_run(tmp_path)
    w = Worker(store, run_id, paused=True)
    store.send_command(run_id, "step", 100)
    while w.trainer.step < 100:
        w.turn()
    ckpt_step = store.checkpoint(run_id)[0]
    assert ckpt_step == 100
    w.trainer.advance(50)  # trained and recorded, never checkpointed: as if killed mid-way
    w._record()
    assert store.read_run(run_id)["step"] == 150
    Worker(store, run_id).run()  # picks up at step 100 and redoes 101..150
    whole = Trainer(CONFIG)
    whole.run()
    assert_store_matches(store, run_id, whole)


def test_lr_set_while_no_worker_ran_is_picked_up(tmp_path):
    store, run_id = new_run(tmp_path)
    w = Worker(store, run_id, paused=True)
    del w
    store.update_run(run_id, lr=0.02)
    w = Worker(store, run_id, paused=True)
    assert w.trainer.config.lr == 0.02 and w.trainer.optimizer.lr == 0.02
    restored = train_state.restore(store.checkpoint(run_id)[1])
    assert restored.config.lr == 0.05  # the checkpoint is the old one; the row's lr wins on start


def test_a_dead_network_ends_as_stalled_with_the_trainers_message(tmp_path):
    config = Config(activation="relu", lr=1.0, steps=1500)  # every ReLU unit dies early
    store, run_id = new_run(tmp_path, config)
    Worker(store, run_id).run()
    whole = Trainer(config)
    whole.run()
    run = store.read_run(run_id)
    assert (run["state"], run["step"]) == ("stalled", whole.step) and whole.step < 1500
    assert run["message"] == whole.message and "tanh or sigmoid instead of relu" in run["message"]
