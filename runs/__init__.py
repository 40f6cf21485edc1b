"""The run service: training outside the page, in worker processes, recorded in a store.

Never imports streamlit. How a page uses it::

    from runs import RunError, RunService, RunView

    service = RunService.get()                     # one per server: keep it in st.cache_resource
    try:
        run_id, key = service.start(config, origin="train", owner=visitor, pause_when_solved=True)
    except RunError as e:                          # above the live cost budget: say e to the visitor
        ...
    # paused=True: a worker builds the model and records step 0, then waits (Play = "resume");
    # model=loaded_model: start from given weights; copy_of=other_id: train a copy of a run
    # (what a Share link's visitor may do: the copy is theirs, the original is not)
    service.queue_position(run_id)                 # 1, 2, ... while it waits for a slot; else None
    service.delete(run_id, key)                    # stop its worker, remove everything stored
    service.command(run_id, key, "pause")          # also "resume", ("step", 10), ("lr", 0.01),
    service.command(run_id, key, "step", 10)       # ("steps", 5000), ("pause_when_solved", 1), "stop",
    service.command(run_id, key, "pace", 6.0)      # at most 6 steps/s, evenly spread (0: full speed)
    store = service.store                          # or runs.Store(): reading needs no key
    run = store.read_run(run_id)                   # dict: state, message, step, samples, lr, best_exact,
                                                   # solved_at, config (dict), origin, owner, times
    new = store.history(run_id, since=last_step)   # {"train": {col: array}, "evals": {col: array}}
    model = store.snapshot(run_id)                 # the latest weights (SequenceModel), about 2 per s
    step, npz = store.snapshot_bytes(run_id)       # the same as a model file, for downloads
    text = runs.export.history_csv(store.history(run_id))  # the history CSV (as the page's download)
    view = RunView(store, run_id)                  # or: a trainer-shaped view for the figures
    view.refresh()                                 # on each poll: reads only what is new
    view.history, view.model, view.step, view.state, view.done, view.solved_at_step

- The URL may carry ``run_id`` (anyone may watch) and ``key`` (control); the store keeps
  only a hash of the key, and :meth:`RunService.command` refuses a wrong one.
- A command takes effect within one chunk of training (~50 ms). States: ``runs.store.STATES``
  (queued, training, paused, solved, finished, diverged, failed, interrupted).
- Limits: live runs above the live training budget (``engine.cost.LIVE``: multiply-adds per
  step) are refused; beyond 4 x cores training runs, or a second live run of the same owner, a run
  waits as ``queued``.
- A killed server leaves its runs ``interrupted`` at their last checkpoint (every few seconds);
  ``resume`` continues them exactly as if never stopped.
- Command line: ``python -m runs list|show|export|resume`` (see ``runs/__main__.py``).
"""

from engine.runtime import tune_process

tune_process()  # before NumPy loads (in a worker process too): one BLAS thread, big arrays kept in the heap

_EXPORTS = {"RunError": "runs.service", "RunService": "runs.service", "RunView": "runs.view",
            "STATES": "runs.store", "Store": "runs.store", "StoreError": "runs.store",
            "data_dir": "runs.store"}


def __getattr__(name: str):
    """The exports load on first use, so a worker process can lower its priority (``runs.priority``)
    before NumPy and the engine load."""
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'runs' has no attribute {name!r}")

__all__ = ["RunError", "RunService", "RunView", "STATES", "Store", "StoreError", "data_dir"]
