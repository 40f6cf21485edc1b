"""Every setting of a run, described once.

A :class:`Setting` row says what a setting is called, what type and default it
has, which values it allows, how a page shows it and whether a running
trainer can take it without starting again. Everything else is made from
this table: the :class:`engine.config.Config` dataclass and its validation,
the command line's options, the link (query string) reader and writer, the
sidebar widgets and the Gradients page's check settings. Adding a setting is
one row.

What the app refuses beyond these ranges (a model too heavy to train live) is
not a second range but a named rule with its own message: see
:mod:`engine.cost`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Setting:
    """One setting: its description for the engine, the command line and the page."""

    name: str  # the Config field and the link parameter
    kind: type  # int | float | bool | str
    default: object
    label: str  # what pages and messages call it
    help: str  # one sentence for people (widget tooltip, --help)
    lo: float | None = None  # numbers: smallest allowed value
    hi: float | None = None  # numbers: largest allowed value
    choices: tuple[str, ...] = ()  # text settings: the allowed values ...
    shown: dict[str, str] = field(default_factory=dict)  # ... and how a page names them (default: as is)
    live: bool = False  # a running trainer takes it at once; otherwise it needs a new run
    log: bool = False  # offered on a log scale
    step: float = 1  # the widget's step for numbers
    widget: str = ""  # "slider" or "radio" instead of the default widget for the kind
    group: str = "model"  # model | task | training (where it is shown)
    cli: bool = True  # an option of `python -m engine train`
    classic: object = None  # the value the classic (tutorial) loop fixes; None: a setting of that loop too

    @property
    def flag(self) -> str:
        """The command-line option, e.g. ``--keep-prob``."""
        return "--" + self.name.replace("_", "-")

    def show(self, value) -> str:
        """How a page names a choice."""
        return self.shown.get(value, str(value))


CELLS = ("rnn", "lstm", "gru")
ACTIVATIONS = ("sigmoid", "tanh", "relu")
OPTIMIZERS = ("sgd", "momentum", "adam")
LOSSES = ("mse", "bce")
INITS = ("uniform", "xavier")
DTYPES = ("float64", "float32")
ALGORITHMS = ("batched", "classic")
SEED_MAX = 2**32 - 1  # seeds are what NumPy's legacy RandomState takes (the classic loop uses it)

# Declaration order is the Config's field order (and the link's parameter order).
SETTINGS: tuple[Setting, ...] = (
    # --- model ---
    Setting("cell", str, "rnn", "Cell", "The recurrent cell.", choices=CELLS,
            shown={"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}, classic="rnn"),
    Setting("hidden", int, 16, "Hidden units", "Units per recurrent layer.", lo=1, hi=512),
    Setting("layers", int, 1, "Layers", "Stacked recurrent layers.", lo=1, hi=4, classic=1),
    Setting("activation", str, "sigmoid", "Activation",
            "Used by the vanilla RNN; LSTM and GRU cells have their own gates.", choices=ACTIVATIONS,
            classic="sigmoid"),
    Setting("bias", bool, True, "Biases", "Learn biases in the cells and the read-out.", classic=False),
    Setting("init", str, "xavier", "Initial weights",
            "uniform: U[-1, 1) as the tutorial; xavier: Glorot uniform.", choices=INITS, classic="uniform"),
    Setting("forget_bias", float, 1.0, "Forget-gate bias",
            "The LSTM forget gate's bias at start (positive: remember by default).", lo=-10.0, hi=10.0,
            step=0.5, widget="slider"),
    Setting("keep_prob", float, 1.0, "Keep probability",
            "Dropout keep probability on each recurrent layer's output while training; 1 turns dropout off.",
            lo=0.05, hi=1.0, step=0.05, widget="slider", classic=1.0),
    Setting("dtype", str, "float64", "Precision",
            "float32 is faster; gradient checks always use float64.", choices=DTYPES, classic="float64"),
    # --- task ---
    Setting("bits", int, 8, "Bits per number",
            "Width of the numbers added; operands stay below half the range so the sum fits.", lo=2, hi=64,
            widget="slider", group="task"),
    # --- training ---
    Setting("batch", int, 64, "Batch size", "Sums per training step.", lo=1, hi=4096, group="training",
            classic=1),
    Setting("optimizer", str, "adam", "Optimizer", "How the gradients move the weights.", choices=OPTIMIZERS,
            group="training", classic="sgd"),
    Setting("lr", float, 0.05, "Learning rate", "Step size of the optimizer.", lo=1e-5,
            hi=100.0, live=True, log=True, group="training"),
    Setting("loss", str, "bce", "Loss", "The per-bit loss.", choices=LOSSES,
            shown={"mse": "squared error", "bce": "cross-entropy"}, group="training", classic="mse"),
    Setting("clip", float, 0.0, "Gradient clip", "Largest global gradient norm; 0 turns clipping off.",
            lo=0.0, hi=1000.0, step=0.5, group="training", classic=0.0),
    Setting("steps", int, 1000, "Steps budget", "Training steps; raising it lets a finished run continue.",
            lo=1, hi=10_000_000, step=100, live=True, group="training"),
    Setting("seed", int, 0, "Seed", "Seeds the initial weights, the sums drawn and dropout.", lo=0,
            hi=SEED_MAX, group="training"),
    Setting("eval_every", int, 20, "Evaluate every (steps)",
            "Evaluate on the evaluation set every this many steps.", lo=1, hi=1_000_000, step=10,
            group="training"),
    # --- trainer family ---
    Setting("algorithm", str, "batched", "Training loop",
            "The tutorial's loop trains a one-layer sigmoid RNN on one sum per step with plain gradient "
            "descent; the batched trainer offers every option.", choices=ALGORITHMS,
            shown={"batched": "batched trainer", "classic": "tutorial's per-sample loop"}, widget="radio",
            group="training", cli=False),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
FIELDS: tuple[str, ...] = tuple(BY_NAME)
LIVE: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.live)
# What the classic algorithm (engine.classic, the tutorial's per-sample loop) always does: a
# one-layer sigmoid RNN without biases, weights U[-1, 1), plain SGD on half the summed squared
# error, one sum per step, float64, no clipping or dropout.
CLASSIC_FIXED: dict[str, object] = {s.name: s.classic for s in SETTINGS if s.classic is not None}

MAX_TEXT = 40  # characters of a refused value shown back
_INT = re.compile(r"[+-]?[0-9]{1,20}")  # ASCII digits only (int() also takes "٣" and "1_0")
_REAL = re.compile(r"[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})([eE][+-]?[0-9]{1,3})?")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def number(x: float) -> str:
    """A number as people write it: 4,294,967,295, 0.00001, 2.5 (never 4.29497e+09)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e16:
        return f"{int(x):,}"
    whole, _, frac = f"{x:.15f}".rstrip("0").partition(".")
    if not frac:  # too small for 15 decimals
        return repr(x)
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{frac}"


def allowed(s: Setting) -> str:
    """What ``s`` allows, in words with plain numbers."""
    if s.kind is bool:
        return "true or false"
    if s.choices:
        return "one of " + ", ".join(s.choices)
    kind = "a whole number" if s.kind is int else "a number"
    return f"{kind} from {number(s.lo)} to {number(s.hi)}"


def problem(s: Setting, value) -> str:
    """Why ``value`` is not allowed for ``s`` ("" when it is)."""
    if s.kind is bool:
        ok = isinstance(value, bool)
    elif s.choices:
        ok = isinstance(value, str) and value in s.choices
    else:
        types = (int,) if s.kind is int else (int, float)
        ok = isinstance(value, types) and not isinstance(value, bool) and s.lo <= value <= s.hi
    return "" if ok else f"{s.name} must be {allowed(s)} (got {cut(repr(value))})"


def cut(text: str) -> str:
    """``text`` shortened to :data:`MAX_TEXT` characters for a message."""
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def parse(s: Setting, text: str):
    """The value ``text`` (from a link or the command line) means for ``s``.

    Raises ValueError naming the setting (its label), the value (cut to 40
    characters) and what is allowed. Only ASCII digits count as digits.
    """
    t = text.strip().lower()
    value = None
    if s.kind is bool:
        value = True if t in _TRUE else False if t in _FALSE else None
    elif s.choices:
        value = t if t in s.choices else None
    elif s.kind is int:
        value = int(t) if _INT.fullmatch(t) else None
    elif _REAL.fullmatch(t):
        value = float(t)
    if value is None or problem(s, value):
        raise ValueError(f"{s.label} ({s.name}): {cut(text)!r} is not allowed; it takes {allowed(s)}")
    return value
