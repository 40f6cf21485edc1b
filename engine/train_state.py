"""The whole state of a :class:`~engine.train.Trainer` as ``.npz`` bytes, and back.

A model file (:mod:`engine.checkpoint`) keeps the weights; a training state
also keeps what a run needs to continue exactly as if it had never stopped:
the optimizer's moments, the random generators' states, the step and sample
counters, the divergence reference, the stall watch and the solved-at step. The history is
kept too unless ``history=False`` (a run store that keeps the history itself
passes it back to :func:`restore`).

Everything is stored as plain arrays and JSON text (no pickles), and
:func:`restore` reads its input with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from engine import optim
from engine.config import Config
from engine.history import History
from engine.model import SequenceModel
from engine.train import Trainer

FORMAT = "rnn-addition-lab/train-state/1"

# Every attribute of a Trainer, by how a restore gets it back: captured here, or rebuilt from the
# configuration (same values), or a measurement that changes no result. A new attribute must be
# added to one of these (a test checks), so a change to the trainer cannot break exact resumption
# unnoticed.
CAPTURED = ("model", "optimizer", "rng", "legacy_rng", "history", "step", "samples", "status", "message",
            "solved_at_step", "_start_xent", "eval_xent", "stall_watch", "config", "batches")
REBUILT = ("loss_fn", "eval_batch", "eval_schedule", "_fused")
# a timing average; the latest step's gradient norms (last_dh_norm reads them)
NOT_STATE = ("step_seconds", "last_dh_norm", "_dh_norm", "_fused_norms")


class TrainStateError(ValueError):
    """A training state could not be read; the message says why."""


def _optimizer_arrays(opt) -> tuple[dict, dict[str, np.ndarray]]:
    """(scalars, arrays) describing the optimizer's state."""
    if isinstance(opt, optim.Adam):
        return {"t": opt.t}, {**{f"m/{k}": v for k, v in opt.m.items()},
                              **{f"v/{k}": v for k, v in opt.v.items()}}
    if isinstance(opt, optim.Momentum):
        return {}, {f"velocity/{k}": v for k, v in opt.velocity.items()}
    return {}, {}


def _set_optimizer(opt, scalars: dict, arrays: dict[str, np.ndarray]) -> None:
    def part(prefix):
        return {k[len(prefix):]: a.copy() for k, a in arrays.items() if k.startswith(prefix)}

    if isinstance(opt, optim.Adam):
        opt.t = int(scalars["t"])
        # The flat moment vectors are rebuilt from these on the next step (same values).
        opt.m, opt.v, opt._layout = part("m/"), part("v/"), []
    elif isinstance(opt, optim.Momentum):
        opt.velocity = part("velocity/")


def history_arrays(history: History) -> dict[str, np.ndarray]:
    """The history's columns as ``train/<name>`` and ``evals/<name>`` arrays."""
    out = {f"train/{k}": v for k, v in history.train.to_dict().items()}
    out.update({f"evals/{k}": v for k, v in history.evals.to_dict().items()})
    return out


def history_from_arrays(arrays: dict[str, np.ndarray]) -> History:
    """A :class:`History` holding the ``train/*`` and ``evals/*`` columns of ``arrays``."""
    history = History()
    for table in (history.train, history.evals):
        prefix = "train/" if table is history.train else "evals/"
        table.extend(**{n: np.asarray(arrays[prefix + n], dtype=np.float64) for n in table.names})
    return history


def capture(trainer: Trainer, history: bool = True) -> bytes:
    """The trainer's full state as ``.npz`` bytes (weights, optimizer, RNGs, counters, history)."""
    scalars, opt_arrays = _optimizer_arrays(trainer.optimizer)
    info = {
        "step": trainer.step, "samples": trainer.samples, "status": trainer.status,
        "message": trainer.message, "solved_at_step": trainer.solved_at_step,
        "start_xent": trainer._start_xent, "eval_xent": trainer.eval_xent,
        "stall": trainer.stall_watch.state(),
        "optimizer": scalars,
        "rng": trainer.rng.bit_generator.state,  # plain dict of ints and a name
    }
    if trainer.batches is not None:  # batches come a block at a time: where in the block the run is
        info["batches"] = trainer.batches.position()
    arrays = {f"param/{k}": np.asarray(v) for k, v in trainer.model.params.items()}
    arrays.update({f"opt/{k}": v for k, v in opt_arrays.items()})
    legacy = getattr(trainer, "legacy_rng", None)
    if legacy is not None:
        name, keys, pos, has_gauss, cached = legacy.get_state()
        arrays["legacy/keys"] = keys
        info["legacy"] = {"name": name, "pos": int(pos), "has_gauss": int(has_gauss),
                          "cached_gaussian": float(cached)}
    if history:
        arrays.update({f"history/{k}": v for k, v in history_arrays(trainer.history).items()})
    arrays["format"] = np.array(FORMAT)
    arrays["config"] = np.array(trainer.config.to_json())
    arrays["info"] = np.array(json.dumps(info))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def restore(data: bytes, history: History | None = None) -> Trainer:
    """A trainer continuing exactly where :func:`capture` left it.

    ``history`` replaces the stored history (needed when it was captured with
    ``history=False``; a fresh one is used if neither is there).
    Raises :class:`TrainStateError` for bytes that are not a training state.
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        if str(arrays["format"]) != FORMAT:
            raise TrainStateError(f"unsupported training state format {str(arrays['format'])!r}")
        config = Config.from_json(str(arrays["config"]))
        info = json.loads(str(arrays["info"]))
    except TrainStateError:
        raise
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise TrainStateError(f"not a readable training state: {e}") from None
    params = {k[6:]: a.copy() for k, a in arrays.items() if k.startswith("param/")}
    trainer = Trainer(config, model=SequenceModel(config, params=params))
    _set_optimizer(trainer.optimizer, info["optimizer"],
                   {k[4:]: a for k, a in arrays.items() if k.startswith("opt/")})
    trainer.rng.bit_generator.state = info["rng"]
    if "batches" in info and trainer.batches is not None:
        trainer.batches.seek(info["batches"])  # draws the block again, from the state before it
    if "legacy" in info:
        lg = info["legacy"]
        trainer.legacy_rng.set_state((lg["name"], arrays["legacy/keys"], lg["pos"], lg["has_gauss"],
                                      lg["cached_gaussian"]))
    trainer.step, trainer.samples = int(info["step"]), int(info["samples"])
    trainer.status, trainer.message = info["status"], info["message"]
    trainer.solved_at_step = info["solved_at_step"]
    trainer._start_xent, trainer.eval_xent = float(info["start_xent"]), float(info["eval_xent"])
    trainer.stall_watch.set_state(info.get("stall", {}))  # states saved before it: a fresh watch
    if history is None:
        stored = {k[8:]: a for k, a in arrays.items() if k.startswith("history/")}
        history = history_from_arrays(stored) if stored else History()
    trainer.history = history
    return trainer
