"""The run service with real worker processes: limits, commands, kill -9, resume, orphans."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from run_helpers import wait_for

from engine import cost
from engine.config import Config
from engine.schema import number
from engine.train import Trainer
from runs.service import RunError

SMALL = Config(hidden=4, bits=4, batch=8, steps=300, eval_every=10, seed=1)
LONG = Config(hidden=4, bits=4, batch=8, steps=6000, eval_every=25, seed=2)
ROOT = Path(__file__).resolve().parents[2]


def state_of(service, run_id):
    return service.store.read_run(run_id)["state"]


def test_a_run_trains_in_a_worker_and_matches_the_trainer(make_service):
    service = make_service()
    run_id, key = service.start(SMALL, owner="v")
    wait_for(lambda: state_of(service, run_id) == "finished", what="the run to finish")
    whole = Trainer(SMALL)
    whole.run()
    hist = service.store.history(run_id)
    np.testing.assert_array_equal(hist["train"]["loss"], whole.history.train["loss"])
    np.testing.assert_array_equal(hist["evals"]["exact_acc"], whole.history.evals["exact_acc"])


def test_too_costly_live_runs_are_refused_with_estimate_and_limit(make_service):
    service = make_service()
    heavy = Config(cell="lstm", hidden=256, layers=4, bits=16)
    with pytest.raises(RunError, match=r"estimated cost [\d,]+ multiply-adds, limit [\d,]+") as refused:
        service.start(heavy)
    assert service.store.list_runs() == []
    assert number(round(cost.step_cost(heavy))) in str(refused.value)
    run_id, _ = service.start(heavy, live=False, paused=True)  # the command line and sweeps are not limited
    service.delete(run_id, _)


def test_commands_need_the_control_key(make_service):
    service = make_service()
    run_id, key = service.start(LONG)
    with pytest.raises(RunError, match="control key"):
        service.command(run_id, "wrong", "pause")
    with pytest.raises(RunError, match="control key"):
        service.command(run_id, None, "stop")
    with pytest.raises(RunError, match="unknown command"):
        service.command(run_id, key, "explode")
    with pytest.raises(RunError, match="lr must be"):
        service.command(run_id, key, "lr", -1.0)
    service.command(run_id, key, "stop")
    wait_for(lambda: state_of(service, run_id) == "finished", what="the stop")


def test_pause_stops_the_steps_and_resume_continues(make_service):
    service = make_service()
    run_id, key = service.start(LONG)
    wait_for(lambda: service.store.read_run(run_id)["step"] > 50, what="training to start")
    service.command(run_id, key, "pause")
    wait_for(lambda: state_of(service, run_id) == "paused", what="the pause")
    step = service.store.read_run(run_id)["step"]
    assert service.store.checkpoint(run_id)[0] == step
    service.command(run_id, key, "step", 5)
    wait_for(lambda: service.store.read_run(run_id)["step"] == step + 5
             and state_of(service, run_id) == "paused", what="five steps")
    service.command(run_id, key, "resume")
    wait_for(lambda: state_of(service, run_id) == "finished", what="the run to finish")


def test_beyond_the_limits_runs_wait_queued(make_service):
    service = make_service(max_active=2)
    a, ka = service.start(LONG, owner="ann")
    a2, _ = service.start(SMALL, owner="ann")  # ann's second live run waits for her first
    b, _ = service.start(LONG, owner="bob")
    c, _ = service.start(SMALL, owner="cat")  # two are training: the server is full
    wait_for(lambda: state_of(service, a) == "training" and state_of(service, b) == "training",
             what="two runs training")
    assert state_of(service, a2) == "queued" and state_of(service, c) == "queued"
    service.command(a, ka, "stop")
    wait_for(lambda: state_of(service, c) == "finished", what="the queued run to be started and finish")
    assert state_of(service, a2) in ("queued", "training", "finished")
    wait_for(lambda: state_of(service, a2) == "finished", what="ann's second run")


def test_a_worker_killed_mid_run_leaves_a_sound_store_and_resumes_exactly(make_service):
    service = make_service(checkpoint_every=0.2)
    done, _ = service.start(SMALL)
    wait_for(lambda: state_of(service, done) == "finished", what="the first run")
    before = service.store.history(done)
    run_id, key = service.start(LONG)
    wait_for(lambda: (service.store.checkpoint(run_id) or (0,))[0] > 100, what="a checkpoint")
    wait_for(lambda: service.store.read_run(run_id)["step"] > service.store.checkpoint(run_id)[0],
             what="steps after the checkpoint")
    os.kill(service._workers[run_id].pid, signal.SIGKILL)
    wait_for(lambda: state_of(service, run_id) == "interrupted", what="the run to show interrupted")
    assert service.store.read_run(run_id)["step"] == service.store.checkpoint(run_id)[0]
    conn = service.store._conn()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    after = service.store.history(done)
    for kind in before:
        for col in before[kind]:
            np.testing.assert_array_equal(after[kind][col], before[kind][col])
    assert state_of(service, done) == "finished"
    service.command(run_id, key, "resume")
    wait_for(lambda: state_of(service, run_id) == "finished", what="the resumed run to finish")
    whole = Trainer(LONG)
    whole.run()
    hist = service.store.history(run_id)
    for kind, table in (("train", whole.history.train), ("evals", whole.history.evals)):
        for col in table.names:
            np.testing.assert_array_equal(hist[kind][col], table[col], err_msg=f"{kind}.{col}")
    model = service.store.snapshot(run_id)
    for k, v in whole.model.params.items():
        np.testing.assert_array_equal(model.params[k], v, err_msg=k)


SERVER = textwrap.dedent("""
    import sys
    from engine.config import Config
    from runs.service import RunService
    service = RunService(sys.argv[1])
    run_id, key = service.start(Config(hidden=4, bits=4, batch=8, steps=10_000_000), owner="v")
    paused_id, paused_key = service.start(Config(hidden=4, bits=4, batch=8, steps=10_000_000), owner="w")
    print(run_id, key, paused_id, paused_key, flush=True)
    sys.stdin.readline()
""")


def test_orphaned_workers_exit_and_a_new_server_finds_the_runs(tmp_path, make_service):
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        run_id, key, paused_id, paused_key = server.stdout.readline().split()
        from runs.store import Store
        store = Store(tmp_path)
        wait_for(lambda: store.read_run(run_id)["step"] > 0 and store.read_run(paused_id)["step"] > 0,
                 what="both runs to train")
        store.send_command(paused_id, "pause")
        wait_for(lambda: store.read_run(paused_id)["state"] == "paused", what="the pause")
        paused_step = store.read_run(paused_id)["step"]
        pids = [int(p) for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                               text=True).stdout.split()]
        assert len(pids) >= 2
        server.kill()
        server.wait(30)
        wait_for(lambda: not any(Path(f"/proc/{p}").exists() and "Z" not in _proc_state(p) for p in pids),
                 what="the orphaned workers to exit")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)
    assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    service = make_service()
    run = service.store.read_run(run_id)
    assert run["state"] == "interrupted" and service.store.checkpoint(run_id) is not None
    paused = service.store.read_run(paused_id)
    assert (paused["state"], paused["step"]) == ("paused", paused_step)
    service.command(run_id, key, "resume")
    wait_for(lambda: service.store.read_run(run_id)["state"] == "training", what="the resumed run")
    service.command(run_id, key, "stop")


def _proc_state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except OSError:
        return "Z"


def test_closing_the_service_leaves_runs_resumable(make_service):
    service = make_service()
    run_id, key = service.start(LONG)
    wait_for(lambda: service.store.read_run(run_id)["step"] > 0, what="training")
    proc = service._workers[run_id]
    service.close()
    run = service.store.read_run(run_id)
    assert run["state"] == "interrupted" and service.store.checkpoint(run_id)[0] == run["step"]
    assert proc.returncode == 0


MAIN_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    with open(Path(sys.argv[1]) / "main-ran.txt", "a") as f:  # Streamlit runs a page as __main__
        f.write("ran\\n")
    from engine.config import Config
    from runs.service import RunService
    service = RunService(sys.argv[1])
    run_id, _ = service.start(Config(hidden=4, bits=4, batch=8, steps=200))
    deadline = time.monotonic() + 120
    while service.store.read_run(run_id)["state"] != "finished" and time.monotonic() < deadline:
        time.sleep(0.02)
    print(service.store.read_run(run_id)["state"])
    service.close()
""")


def test_a_worker_never_reruns_the_servers_main_script(tmp_path):
    script = tmp_path / "page.py"
    script.write_text(MAIN_SCRIPT)
    out = subprocess.run([sys.executable, str(script), str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=180, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.stdout.strip() == "finished", out.stderr
    assert (tmp_path / "main-ran.txt").read_text() == "ran\n"


def test_a_paused_start_builds_step_zero_and_waits(make_service):
    service = make_service()
    run_id, key = service.start(SMALL, paused=True)
    wait_for(lambda: state_of(service, run_id) == "paused" and service.store.snapshot(run_id) is not None,
             what="the paused run's first snapshot")
    assert service.store.read_run(run_id)["step"] == 0 and service.active() == []
    fresh = Trainer(SMALL)
    np.testing.assert_array_equal(service.store.snapshot(run_id).params["Why"], fresh.model.params["Why"])
    assert service.store.history(run_id)["evals"]["step"].tolist() == [0.0]
    service.command(run_id, key, "resume")
    wait_for(lambda: state_of(service, run_id) == "finished", what="the run to finish")


def test_a_run_can_start_from_given_weights(make_service):
    service = make_service()
    donor = Trainer(SMALL)
    donor.advance(100)
    run_id, _ = service.start(SMALL.replace(steps=150), origin="upload", model=donor.model)
    wait_for(lambda: state_of(service, run_id) == "finished", what="the run to finish")
    ref = Trainer(SMALL.replace(steps=150), model=donor.model)  # fresh optimizer and data, given weights
    ref.run()
    np.testing.assert_array_equal(service.store.snapshot(run_id).params["Why"], ref.model.params["Why"])
    with pytest.raises(RunError, match="do not fit"):
        service.start(SMALL.replace(hidden=5), model=donor.model)


def test_a_copy_continues_like_the_original_and_cannot_touch_it(make_service):
    service = make_service()
    src, src_key = service.start(SMALL, paused=True)
    wait_for(lambda: state_of(service, src) == "paused", what="the source run")
    service.command(src, src_key, "step", 120)
    wait_for(lambda: service.store.read_run(src)["step"] == 120 and state_of(service, src) == "paused",
             what="120 steps")
    copy, copy_key = service.start(SMALL, owner="someone else", copy_of=src)
    wait_for(lambda: state_of(service, copy) == "finished", what="the copy to finish")
    whole = Trainer(SMALL)
    whole.run()
    np.testing.assert_array_equal(service.store.history(copy)["train"]["loss"], whole.history.train["loss"])
    assert service.store.read_run(src)["step"] == 120
    with pytest.raises(RunError, match="control key"):
        service.command(src, copy_key, "resume")


def test_delete_stops_the_worker_and_removes_the_run(make_service):
    service = make_service(max_active=1)
    a, ka = service.start(LONG)
    b, kb = service.start(LONG)
    wait_for(lambda: state_of(service, a) == "training", what="training")
    assert service.queue_position(b) == 1 and service.queue_position(a) is None
    proc = service._workers[a]
    service.delete(a, ka)
    assert proc.poll() is not None and service.store.read_run(a) is None
    wait_for(lambda: state_of(service, b) == "training", what="the queued run to start")
    service.delete(b, kb)


def test_workers_run_at_a_lower_priority_than_the_server(make_service):
    service = make_service()
    run_id, key = service.start(LONG, paused=True)
    wait_for(lambda: state_of(service, run_id) == "paused", what="the worker")
    pid = service._workers[run_id].pid
    nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    assert nice > os.nice(0) or nice == 19
    service.command(run_id, key, "stop")


def test_idle_workers_make_room_beyond_the_process_limit(make_service):
    service = make_service(max_active=1, max_workers=2)
    first, k1 = service.start(SMALL, paused=True)
    second, _ = service.start(SMALL, paused=True)
    wait_for(lambda: state_of(service, first) == state_of(service, second) == "paused", what="two paused")
    first_worker = service._workers[first]
    third, _ = service.start(SMALL, paused=True)  # the least recently used worker is asked to leave
    wait_for(lambda: first_worker.poll() is not None, what="the first worker to exit")
    assert service._alive(second)
    wait_for(lambda: state_of(service, third) == "paused", what="the third run")
    assert state_of(service, first) == "paused"  # its run is as it was
    service.command(first, k1, "resume")  # and trains again on demand
    wait_for(lambda: state_of(service, first) == "finished", what="the first run to finish")


def test_a_pages_run_nobody_watches_pauses_and_says_why(make_service, monkeypatch):
    import runs.service

    monkeypatch.setattr(runs.service, "UNWATCHED", 0.5)
    service = make_service()
    endless = LONG.replace(steps=10_000_000)
    watched, _ = service.start(endless, owner="a")
    alone, _ = service.start(endless.replace(seed=3), owner="b")
    cli_run, _ = service.start(endless.replace(seed=4), live=False)  # not a page's: never paused for this
    runs = (watched, alone, cli_run)
    wait_for(lambda: all(state_of(service, r) == "training" for r in runs), what="training")

    def alone_paused():
        service.watch(watched)  # a page polls this one
        return state_of(service, alone) == "paused"

    wait_for(alone_paused, what="the unwatched run to pause")
    assert "no page was watching it" in service.store.read_run(alone)["message"]
    assert state_of(service, watched) == "training" and state_of(service, cli_run) == "training"


def test_a_worker_training_for_long_yields_to_newer_ones(make_service):
    from runs import priority, worker

    service = make_service()
    run_id, key = service.start(LONG.replace(steps=10_000_000))
    wait_for(lambda: state_of(service, run_id) == "training", what="training")
    pid = service._workers[run_id].pid

    def nice():
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])

    assert nice() > os.nice(0) or nice() == 19  # below the server from the start
    (long_after, added) = worker.PRIORITIES[-1]
    wanted = min(19, os.nice(0) + added)
    wait_for(lambda: nice() == wanted, timeout=long_after + 30, what="the long run to yield")
    if priority.autogroups():  # its own session, whose share of the CPU is as low
        assert os.getsid(pid) == pid
        group = Path(f"/proc/{pid}/autogroup").read_text()
        assert group != Path("/proc/self/autogroup").read_text() and group.split()[-1] == str(wanted)
    service.command(run_id, key, "stop")


def test_a_spare_worker_takes_the_next_run_and_another_is_started(make_service):
    service = make_service(spare=True)
    spare = service._launcher.spare
    assert spare is not None and spare.poll() is None
    run_id, key = service.start(SMALL, paused=True)
    assert service._workers[run_id] is spare  # the run went to the process started ahead
    assert service._launcher.spare is not None and service._launcher.spare is not spare
    service.command(run_id, key, "step", 3)
    wait_for(lambda: service.store.read_run(run_id)["step"] == 3 and state_of(service, run_id) == "paused",
             what="the spare to train the run's steps")
    second = service._launcher.spare
    service.close()
    assert spare.poll() is not None and second.poll() is not None  # the spare ends with its service


def test_a_spare_whose_server_is_gone_exits(tmp_path):
    from runs import worker

    proc = subprocess.Popen([sys.executable, "-c", worker.BOOT, str(tmp_path), worker.SPARE],
                            stdin=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2])
    proc.stdin.close()  # what the server's death does to the pipe
    assert proc.wait(60) == 0
