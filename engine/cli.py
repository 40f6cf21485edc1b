"""Command line: ``python -m engine train|gradcheck ...``.

Every option is validated before any work starts; a bad value ends with an
argparse-style message and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from engine import classic, gradcheck, schema
from engine.checkpoint import save
from engine.config import ACTIVATIONS, LOSSES, PRESETS, Config
from engine.model import CELLS
from engine.train import Trainer
from engine.xor import mlp

GRADCHECK_FIELDS = ("cell", "hidden", "layers", "activation", "loss", "keep_prob", "seed")


def _value_of(setting: schema.Setting):
    """An argparse ``type`` that takes exactly the setting's range (ASCII digits only)."""
    def convert(text: str):
        try:
            return schema.parse(setting, text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    convert.__name__ = setting.kind.__name__  # argparse names the type in some messages
    return convert


def add_setting(p: argparse.ArgumentParser, name: str) -> None:
    """The option of one schema setting (default None: the preset's value)."""
    s = schema.BY_NAME[name]
    help_ = s.help.rstrip(".")
    if s.kind is bool:
        p.add_argument(s.flag, action=argparse.BooleanOptionalAction, help=help_)
    elif s.choices:
        p.add_argument(s.flag, choices=s.choices, help=help_)
    else:
        metavar = "N" if s.kind is int else "X"
        p.add_argument(s.flag, type=_value_of(s), metavar=metavar, help=f"{help_} ({schema.allowed(s)})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m engine", description="Train and inspect recurrent networks that add binary numbers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,gradcheck,xor}")

    t = sub.add_parser("train", help="train a network on binary addition",
                       description="Train a network on random sums and evaluate it on every 8-bit pair "
                                   "(a fixed sample for wider numbers). Options override the preset.")
    t.add_argument("--preset", choices=sorted(PRESETS), default="fast", help="starting configuration")
    for s in schema.SETTINGS:
        if s.cli:
            add_setting(t, s.name)
    t.add_argument("--save", metavar="PATH", help="write the trained model to this .npz file (also when "
                                                  "interrupted with Ctrl-C)")
    t.add_argument("--json", action="store_true", help="print one JSON object instead of progress lines")
    t.set_defaults(func=cmd_train, parser=t)

    g = sub.add_parser("gradcheck", help="compare backpropagation with numerical gradients",
                       description="Central differences in float64 for every parameter; exits 1 when any "
                                   f"relative error exceeds {gradcheck.THRESHOLD:g}. Without --cell, "
                                   "--activation or --loss it checks every combination; without --layers, "
                                   "--keep-prob or --no-bias each one also stacked two deep with dropout "
                                   "(keep 0.7) and without biases.")
    for name in GRADCHECK_FIELDS:
        add_setting(g, name)
    g.add_argument("--bits", type=int, default=5, metavar="N", help="sequence length of the check batch")
    g.add_argument("--batch", type=int, default=3, metavar="N", help="sums in the check batch")
    g.add_argument("--no-bias", action="store_true", help="check a model without biases")
    g.set_defaults(func=cmd_gradcheck, parser=g)

    add_xor_parser(sub)
    return parser


def train_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Config:
    """The preset with every given option applied, validated (a bad value exits 2)."""
    changes = {s.name: getattr(args, s.name) for s in schema.SETTINGS
               if s.cli and getattr(args, s.name, None) is not None}
    try:
        return PRESETS[args.preset].replace(**changes)
    except ValueError as e:
        parser.error(str(e))


def save_target(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Path | None:
    """The --save path, checked before any training (a bad one exits 2)."""
    if args.save is None:
        return None
    path = Path(args.save)
    folder = path.parent
    if not args.save.strip() or path.name in ("", ".", ".."):
        parser.error(f"--save needs a file name (got {schema.cut(args.save)!r})")
    if path.is_dir():
        parser.error(f"--save: could not write {path}: it is a folder")
    if not folder.is_dir():
        parser.error(f"--save: could not write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        parser.error(f"--save: could not write {path}: permission denied")
    return path


class StopOnInterrupt:
    """While active, the first Ctrl-C (SIGINT) only sets :attr:`requested`; a second one stops at once."""

    def __enter__(self):
        self.requested = False
        self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, self.previous)

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self.previous)
        return False


def _report_progress(trainer: Trainer, config: Config, every: int, as_json: bool) -> None:
    """The progress line(s) after a chunk of ``every`` steps."""
    if as_json:
        return
    if config.algorithm == "classic":
        # The tutorial's report: the error of one sample every `every` iterations, then the last.
        errors = trainer.history.train["loss"]
        for j in range(trainer.step - every, trainer.step):
            if j >= 0 and j % every == 0 and j < len(errors):
                print(f"{j}/{config.steps} :The error is:{classic.format_error(errors[j])}", flush=True)
    else:
        m = trainer.metrics()
        print(f"step {m['step']:>7}/{config.steps}  loss {m['loss']:.5f}  "
              f"exact {100 * m['exact_accuracy']:6.2f}%  bits {100 * m['bit_accuracy']:6.2f}%", flush=True)


def _save(path: Path, trainer: Trainer) -> bool:
    try:
        save(path, trainer.model, meta={"step": trainer.step})
    except OSError as e:
        print(f"error: could not write {path}: {e.strerror or e}", file=sys.stderr)
        return False
    return True


def cmd_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    config = train_config(args, parser)
    target = save_target(args, parser)
    trainer = Trainer(config)
    every = max(1, config.steps // 10)
    t0 = time.perf_counter()
    with StopOnInterrupt() as stop:
        while not trainer.done and not stop.requested:
            chunk_end = min(config.steps, (trainer.step // every + 1) * every)
            trainer.advance_for(0.2, max_steps=chunk_end - trainer.step)
            if trainer.step == chunk_end or trainer.done:
                _report_progress(trainer, config, every, args.json)
    if stop.requested and not trainer.done:
        saved = target is not None and _save(target, trainer)
        print(f"interrupted at step {trainer.step}" + (f"; saved the model to {target}" if saved else ""),
              file=sys.stderr, flush=True)
        return 130
    wall = time.perf_counter() - t0
    m = trainer.metrics()
    if target is not None and not _save(target, trainer):
        return 1
    if args.json:
        print(json.dumps({
            "steps": trainer.step,
            "samples": trainer.samples,
            "wall_s": round(wall, 4),
            "steps_per_s": round(trainer.step / wall, 2) if wall > 0 else None,
            "samples_per_s": round(trainer.samples / wall, 2) if wall > 0 else None,
            "final_loss": m["eval_loss"],
            "final_train_loss": m["loss"],
            "exact_accuracy": m["exact_accuracy"],
            "bit_accuracy": m["bit_accuracy"],
            "solved_at_step": trainer.solved_at_step,
            "diverged": m["diverged"],
            "status": trainer.status,
            "message": trainer.message or None,
            "config": config.to_dict(),
        }))
    elif config.algorithm == "classic":
        print(f"The end error is:{classic.format_error(m['loss'])}")
    else:
        solved = (f"solved at step {trainer.solved_at_step}" if trainer.solved_at_step is not None
                  else "not solved")
        print(f"{trainer.status}: {trainer.step} steps in {wall:.2f} s ({trainer.step / wall:.0f} steps/s), "
              f"{solved}; exact {100 * m['exact_accuracy']:.2f}% on {len(trainer.eval_batch)} sums")
    if trainer.message:
        print(trainer.message, file=sys.stderr)
    return 1 if m["diverged"] else 0


# Structures checked when none is given: (layers, keep_prob, bias).
DEFAULT_STRUCTURES = ((1, 1.0, True), (2, 0.7, True), (1, 1.0, False))


def cmd_gradcheck(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cells = [args.cell] if args.cell else sorted(CELLS)
    losses = [args.loss] if args.loss else list(LOSSES)
    if args.layers is None and args.keep_prob is None and not args.no_bias:
        structures = DEFAULT_STRUCTURES  # plain, stacked with dropout, and without biases
    else:
        keep = 1.0 if args.keep_prob is None else args.keep_prob
        structures = ((args.layers or 1, keep, not args.no_bias),)
    configs = []
    for cell in cells:
        acts = [args.activation] if args.activation else (list(ACTIVATIONS) if cell == "rnn" else ["sigmoid"])
        for layers, keep, bias in structures:
            for act in acts:
                for loss in losses:
                    try:
                        configs.append(Config(cell=cell, activation=act, loss=loss, hidden=args.hidden or 4,
                                              layers=layers, bias=bias, keep_prob=keep,
                                              seed=args.seed or 0).validate())
                    except ValueError as e:
                        parser.error(str(e))
    if not 1 <= args.bits <= 16 or not 1 <= args.batch <= 64:
        parser.error("gradcheck takes --bits from 1 to 16 and --batch from 1 to 64")
    worst = 0.0
    for cfg in configs:
        rows = gradcheck.check_model(cfg, batch=args.batch, bits=args.bits, seed=cfg.seed)
        bad = [r for r in rows if not r.ok]
        worst = max([worst] + [r.rel_error for r in rows])
        name = cfg.cell + (f" {cfg.activation}" if cfg.cell == "rnn" else "")
        print(f"== {name}, {cfg.loss}, layers {cfg.layers}, hidden {cfg.hidden}, bias {cfg.bias}, "
              f"keep {cfg.keep_prob:g}: {'FAIL' if bad else 'ok'}")
        print(gradcheck.format_table(rows))
    verdict = "passed" if worst <= gradcheck.THRESHOLD else "FAILED"
    print(f"\ngradient check {verdict}: worst relative error {worst:.2e} "
          f"(threshold {gradcheck.THRESHOLD:g}) over {len(configs)} model(s)")
    return 0 if worst <= gradcheck.THRESHOLD else 1


def add_xor_parser(sub) -> None:
    x = sub.add_parser("xor", help="train a small dense network on the four XOR points",
                       description="Full-batch training of a 2-H-1 (or 2-H-H2-1) network with N(0, 1) "
                                   "initial weights, as reference 003; prints the prediction for each "
                                   "input and the mean squared error.")
    x.add_argument("--hidden", type=int, default=64, metavar="N", help="units in the first hidden layer")
    x.add_argument("--hidden2", type=int, default=0, metavar="N",
                   help="units in a second hidden layer (0: none)")
    x.add_argument("--activation", choices=mlp.ACTIVATIONS, default="sigmoid", help="hidden activation")
    x.add_argument("--steps", type=int, default=1000, metavar="N", help="full-batch training steps")
    x.add_argument("--lr", type=float, default=0.1, metavar="X", help="learning rate")
    x.add_argument("--optimizer", choices=mlp.OPTIMIZERS, default="sgd")
    x.add_argument("--loss", choices=mlp.LOSSES, default="ce",
                   help="ce: summed cross-entropy; sse: half the summed squared error (the reference's)")
    x.add_argument("--seed", type=int, default=0, metavar="N", help="seeds the initial weights")
    x.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    x.set_defaults(func=cmd_xor, parser=x)


def cmd_xor(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not (1 <= args.hidden <= mlp.MAX_WIDTH and 0 <= args.hidden2 <= mlp.MAX_WIDTH):
        parser.error(f"--hidden takes 1 to {mlp.MAX_WIDTH} units, --hidden2 0 (no second layer) to "
                     f"{mlp.MAX_WIDTH} (got {args.hidden} and {args.hidden2})")
    hidden = (args.hidden, args.hidden2) if args.hidden2 else (args.hidden,)
    try:
        config = mlp.XorConfig(hidden=hidden, activation=args.activation, lr=args.lr, steps=args.steps,
                               seed=args.seed, optimizer=args.optimizer, loss=args.loss).validate()
    except ValueError as e:
        parser.error(str(e))
    r = mlp.train_xor(config)
    if args.json:
        finite = [float(p) if p == p else None for p in r.predictions]  # NaN is not JSON
        print(json.dumps({"predictions": finite, "mse": r.mse if r.mse == r.mse else None, "steps": r.steps,
                          "wall_s": round(r.wall_s, 4), "all_correct": r.all_correct, "status": r.status,
                          "config": config.to_dict()}))
    else:
        for x, p in zip(mlp.XOR_X, r.predictions, strict=True):
            print(f"in: {x} pred: {p:.8f}")
        print(f"mse: {r.mse:.8f}")
    if r.status == "diverged":
        print(r.message, file=sys.stderr)
    return 1 if r.status == "diverged" else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args, args.parser)
    except KeyboardInterrupt:  # outside training (training stops cleanly on its own)
        print("interrupted", file=sys.stderr)
        return 130
