"""Session state of the step-through page: which model, which sum, which step, cached analyses.

The page looks either at the model being trained (the session's trainer, see
:mod:`ui.session`), at the solved example in ``assets/models`` or at a model
loaded from an ``.npz`` file, kept here under its own key so loading never
touches the training run. The analyses of the chosen model are in
:mod:`pages.unrolled.analyses`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import checkpoint
from engine.analysis.carry import fingerprint
from engine.analysis.explain import random_pair
from engine.model import SequenceModel
from ui.session import session, weights_step
from ui.sums import default_sum, parse_sum
from ui.widget_state import WidgetState, ss

P = "unrolled."  # prefix of every session key this page owns
TRAINED, LOADED, EXAMPLE = "trained", "loaded", "example"
EXAMPLE_PATH = Path(__file__).resolve().parents[2] / "assets" / "models" / "rnn_8bit.npz"
EXAMPLE_LABEL = "example: a solved 8-bit RNN"
MAX_UPLOAD_MB = max(1, checkpoint.MAX_BYTES // (1024 * 1024))
AUTOPLAY_S = 0.8  # seconds per step when autoplay is on


@dataclass
class Loaded:
    model: SequenceModel
    name: str
    digest: str


W = WidgetState(P)
bind, keep, put = W.bind, W.keep, W.put  # settings bound to widgets (see ui.widget_state)


# --- which model ----------------------------------------------------------------------------------


def loaded() -> Loaded | None:
    return ss().get(P + "loaded")


def example() -> Loaded | None:
    """The solved 8-bit RNN of ``assets/models`` (read once per session), or None if it cannot be read."""
    if P + "example" not in ss():
        lm, error = read_model_file(EXAMPLE_PATH, EXAMPLE_PATH.name)
        ss()[P + "example"], ss()[P + "example_error"] = lm, error
    return ss()[P + "example"]


def example_error() -> str:
    """Why the example could not be read ("" when it could, or was not tried)."""
    return ss().get(P + "example_error", "")


def source() -> str:
    """Which model the page shows: the trained one, or the example or loaded one when chosen and there."""
    which = ss().get(P + "source")
    if which == LOADED and loaded() is not None:
        return LOADED
    if which == EXAMPLE and example() is not None:
        return EXAMPLE
    return TRAINED


def choose_source(which: str) -> None:
    put("source", which if which in (TRAINED, LOADED, EXAMPLE) else TRAINED)


def current_model() -> tuple[SequenceModel, str]:
    """The model the page shows and a short description of it."""
    if source() == LOADED:
        lm = loaded()
        return lm.model, f"loaded from {lm.name}"
    if source() == EXAMPLE:
        return example().model, (f"loaded from assets/models/{EXAMPLE_PATH.name}, a solved 8-bit RNN "
                                  "(the example)")
    tr = session().trainer
    return tr.model, f"being trained (step {weights_step(tr):,})"


def is_live() -> bool:
    """Whether the shown model is changing right now (the trained one, while playing)."""
    return source() == TRAINED and session().running


def read_model_file(data, name: str = "model.npz") -> tuple[Loaded | None, str]:
    """Load an uploaded model; returns (Loaded, "") or (None, what was wrong). Never raises."""
    try:
        model = checkpoint.load(data, max_bytes=checkpoint.MAX_BYTES)
    except checkpoint.CheckpointError as e:
        return None, f"Could not load {name}: {e}. The current model is unchanged."
    except Exception as e:  # noqa: BLE001 -- a file from anywhere must never crash the page
        return None, f"Could not load {name} ({type(e).__name__}). The current model is unchanged."
    return Loaded(model=model, name=name, digest=fingerprint(model)), ""


def handle_upload(upload) -> None:
    """Take a ``st.file_uploader`` result: load it once, remember the outcome for :func:`load_message`."""
    if upload is None:
        return
    ident = getattr(upload, "file_id", None) or (upload.name, getattr(upload, "size", None))
    if ss().get(P + "upload_seen") == ident:
        return
    ss()[P + "upload_seen"] = ident
    if getattr(upload, "size", 0) > checkpoint.MAX_BYTES:
        ss()[P + "load_error"] = (f"{upload.name} is {upload.size / 1e6:.1f} MB; model files may be at most "
                                  f"{checkpoint.MAX_BYTES / 1e6:.0f} MB. The current model is unchanged.")
        return
    lm, error = read_model_file(upload, upload.name)
    ss()[P + "load_error"] = error
    if lm is not None:
        ss()[P + "loaded"] = lm
        choose_source(LOADED)
        clamp_width(lm.model.config.bits)


def upload_changed() -> None:
    """``on_change`` of the file uploader (a callback, so the model choice can still be switched)."""
    handle_upload(ss().get(P + "upload"))


def load_message() -> tuple[str, str]:
    """("error" | "success" | "", text) about the latest upload."""
    err = ss().get(P + "load_error", "")
    if err:
        return "error", err
    lm = loaded()
    if lm is not None:
        c = lm.model.config
        return "success", (f"Loaded {lm.name}: {c.cell.upper()}, {c.layers} × {c.hidden} units, "
                           f"trained on {c.bits}-bit sums.")
    return "", ""


# --- which sum ------------------------------------------------------------------------------------


def width_options(train_bits: int) -> list[int]:
    """The training width, 16 and 32 bits (the weights work at any width)."""
    return sorted({train_bits, 16, 32})


def clamp_width(train_bits: int) -> None:
    if ss().get(P + "bits") not in width_options(train_bits):
        put("bits", train_bits)


def width() -> int:
    return int(ss().get(P + "bits", 8))


def init_sum(train_bits: int) -> None:
    """On the first visit, and whenever the model shown has another training width, start
    from the longest carry chain at that width."""
    if P + "a" not in ss() or ss().get(P + "train_bits") != train_bits:
        a, b = default_sum(train_bits)
        put("a", str(a))
        put("b", str(b))
        put("bits", train_bits)
        ss()[P + "t"] = 0
        ss()[P + "train_bits"] = train_bits
    clamp_width(train_bits)


def chosen_sum(bits: int) -> tuple[tuple[int, int] | None, str]:
    """The typed sum as ints, or None and a message saying what is wrong."""
    return parse_sum(ss().get(P + "a", ""), ss().get(P + "b", ""), bits)


def set_sum(a: int, b: int) -> None:
    """Callback: show ``a + b`` from its first step."""
    put("a", str(a))
    put("b", str(b))
    ss()[P + "t"] = 0


def pick_random() -> None:
    """Callback: a random sum of the training distribution at the chosen width."""
    rng = ss().setdefault(P + "rng", np.random.default_rng())
    set_sum(*random_pair(rng, width()))


def pick_case() -> None:
    """Callback of the hard-case list: use the chosen case, then clear the list."""
    choice = ss().get(P + "case")
    if choice is not None:
        a, b = choice
        set_sum(a, b)
    ss()[P + "case"] = None


# --- stepping -------------------------------------------------------------------------------------


def step_now(T: int) -> int:
    t = int(ss().get(P + "t", 0))
    t = min(max(t, 0), T - 1)
    ss()[P + "t"] = t
    return t


REPEAT_S = 0.6  # a second call of the same stepper button within this time is the same click
clock = time.perf_counter  # the stepper's clock (tests set their own)


def move(delta: int | None = None, to: int | None = None, T: int = 1) -> None:
    """Callback of the stepper buttons.

    While live views rerun, Streamlit can deliver one click to its callback twice
    (seen in the browser: two calls ~0.2 s apart), so a repeat of the same
    button within :data:`REPEAT_S` is ignored.
    """
    now = clock()
    last = ss().get(P + "last_move")
    if last is not None and last[0] == (delta, to) and now - last[1] < REPEAT_S:
        return
    ss()[P + "last_move"] = ((delta, to), now)
    t = int(ss().get(P + "t", 0))
    t = to if to is not None else t + (delta or 0)
    ss()[P + "t"] = min(max(t, 0), T - 1)
    ss()[P + "auto_last"] = clock()


def autoplay_tick(T: int) -> None:
    """With autoplay on, move one step (wrapping round) every :data:`AUTOPLAY_S` seconds."""
    if not ss().get(P + "autoplay"):
        return
    now = clock()
    if now - ss().get(P + "auto_last", 0.0) >= AUTOPLAY_S * 0.95:
        ss()[P + "t"] = (step_now(T) + 1) % T
        ss()[P + "auto_last"] = now


def autoplay_interval() -> float | None:
    """The stepper's timer: :data:`AUTOPLAY_S` with autoplay on, else None."""
    return AUTOPLAY_S if ss().get(P + "autoplay") else None
