"""Session state and widgets of the XOR playground (its own keys; the addition trainer is untouched).

Every key this page owns starts with ``xor.``. Settings live under
``xor.<name>`` and are copied into the widget keys ``xor.<name>.w`` (Streamlit
forgets a widget's state while its page is not shown). Training is pure and
deterministic for a given :class:`engine.xor.mlp.XorConfig`, so results are
cached with ``st.cache_data`` as plain arrays (:class:`XorView`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from engine.schema import SEED_MAX
from engine.xor.boundary import decision_grid
from engine.xor.mlp import ACTIVATIONS, LOSSES, OPTIMIZERS, XOR_X, XorConfig, train_xor, untrained
from ui.widget_state import WidgetState, ss

P = "xor."
MAX_WIDTH = 256  # units per hidden layer offered here (training stays well under a second)
MAX_STEPS = 20_000
DEFAULT_STEPS = {1: 1000, 2: 5000}  # the reference's budgets for one and two hidden layers
GRID = 61  # points per axis of the decision-boundary picture
CUSTOM = "custom"
PRESETS: dict[str, XorConfig] = {
    "default": XorConfig(),
    "reference 2-64-1": XorConfig(hidden=(64,), lr=0.1, steps=1000, optimizer="sgd", loss="sse"),
    "reference 2-64-64-1": XorConfig(hidden=(64, 64), lr=0.1, steps=5000, optimizer="sgd", loss="sse"),
}
PRESET_LABELS = {
    "default": "2-64-1, cross-entropy",
    "reference 2-64-1": "tutorial's 2-64-1",
    "reference 2-64-64-1": "tutorial's 2-64-64-1",
    CUSTOM: "custom settings",
}
LOSS_LABELS = {
    "ce": "cross-entropy, summed",
    "sse": "½ squared error (tutorial)",
    "mse": "squared error, mean",
    "bce": "cross-entropy, mean",
}
OPTIMIZER_LABELS = {"sgd": "gradient descent", "momentum": "momentum", "adam": "Adam"}
REFERENCE_PRINT = (0.03724313, 0.95885516, 0.9641076, 0.03937037)  # what the tutorial's 2-64-1 printed


# --- settings <-> widgets ---------------------------------------------------------------------------


def settings_of(config: XorConfig) -> dict:
    """The widget values that describe ``config``."""
    h = config.hidden
    return {"layers": len(h), "width1": int(h[0]), "width2": int(h[1]) if len(h) > 1 else 64,
            "activation": config.activation, "lr": float(config.lr), "steps": int(config.steps),
            "optimizer": config.optimizer, "loss": config.loss, "seed": int(config.seed)}


SETTINGS = tuple(settings_of(XorConfig()))


W = WidgetState(P)
keep, put = W.keep, W.put  # settings bound to widgets (see ui.widget_state)


def wkey(name: str, default=None) -> str:
    """The widget key of setting ``name`` (by default from :class:`XorConfig`'s value)."""
    return W.bind(name, settings_of(XorConfig())[name] if default is None else default)


def _fill(config: XorConfig) -> None:
    for name, value in settings_of(config).items():
        put(name, value)


def apply_preset() -> None:
    """on_change of the preset box: fill every setting from the chosen preset."""
    name = ss()[P + "preset.w"]
    if name in PRESETS:
        _fill(PRESETS[name])


def layers_changed() -> None:
    """on_change of the layer count: follow the reference's step budget if it was at the other one."""
    keep("layers")
    layers = ss()[P + "layers"]
    other = DEFAULT_STEPS[3 - layers] if layers in DEFAULT_STEPS else None
    if ss().get(P + "steps") == other:
        put("steps", DEFAULT_STEPS[layers])


def next_seed() -> None:
    """on_click: the same settings with the next seed."""
    seed = (int(ss().get(P + "seed", 0)) + 1) % (SEED_MAX + 1)
    put("seed", seed)
    train_now()


def matching_preset(config: XorConfig) -> str:
    for name, preset in PRESETS.items():
        if preset == config:
            return name
    return CUSTOM


def config_from_settings() -> tuple[XorConfig | None, str]:
    """The XorConfig the settings describe, or None and what is wrong (for a person)."""
    v = {name: ss().get(P + name, settings_of(XorConfig())[name]) for name in SETTINGS}
    problems = []
    try:
        layers = int(v["layers"])
        widths = [v["width1"], v["width2"]][:layers]
        for i, w in enumerate(widths, start=1):
            if not (isinstance(w, (int, float)) and float(w).is_integer() and 1 <= w <= MAX_WIDTH):
                problems.append(f"hidden layer {i} needs a whole number of units from 1 to {MAX_WIDTH} "
                                f"(got {w!r})")
        steps = v["steps"]
        if not (isinstance(steps, (int, float)) and float(steps).is_integer() and 1 <= steps <= MAX_STEPS):
            problems.append(f"steps must be a whole number from 1 to {MAX_STEPS:,} (got {steps!r})")
        lr = v["lr"]
        if not isinstance(lr, (int, float)) or not 0 < lr <= 100:
            problems.append(f"the learning rate must be above 0 and at most 100 (got {lr!r})")
        if problems:
            return None, "; ".join(problems)
        return XorConfig(hidden=tuple(int(w) for w in widths), activation=v["activation"], lr=float(lr),
                         steps=int(steps), seed=int(v["seed"]), optimizer=v["optimizer"],
                         loss=v["loss"]).validate(), ""
    except (TypeError, ValueError) as e:
        return None, str(e)


def controls(box) -> tuple[XorConfig | None, str]:
    """Draw the settings in ``box`` (the sidebar); return the config they describe or what is wrong."""
    config, error = config_from_settings()
    ss()[P + "preset.w"] = matching_preset(config) if config is not None else CUSTOM
    with box:
        st.header("XOR network")
        st.selectbox("Preset", [*PRESETS, CUSTOM], key=P + "preset.w", format_func=PRESET_LABELS.get,
                     on_change=apply_preset,
                     help="The reference trains with half the summed squared error and plain gradient "
                          "descent; the default swaps in cross-entropy, which learns faster from the same "
                          "start.")
        st.radio("Hidden layers", [1, 2], key=wkey("layers"), horizontal=True, on_change=layers_changed,
                 help="The reference tries one layer of 64 units, then two.")
        c1, c2 = st.columns(2)
        c1.number_input("Units, layer 1", 1, MAX_WIDTH, step=1, key=wkey("width1"), on_change=keep,
                        args=("width1",))
        c2.number_input("Units, layer 2", 1, MAX_WIDTH, step=1, key=wkey("width2"), on_change=keep,
                        args=("width2",), disabled=ss()[P + "layers"] < 2)
        st.selectbox("Activation", ACTIVATIONS, key=wkey("activation"), on_change=keep, args=("activation",),
                     help="Of the hidden layers; the output is always a sigmoid.")
        st.number_input("Learning rate", 0.0, 100.0, step=0.05, format="%g", key=wkey("lr"), on_change=keep,
                        args=("lr",), help="The reference uses 0.1.")
        st.number_input("Steps", 1, MAX_STEPS, step=500, key=wkey("steps"), on_change=keep, args=("steps",),
                        help="Full-batch steps on the four points: 1000 for one layer and 5000 for two "
                             "in the reference.")
        st.selectbox("Optimizer", OPTIMIZERS, key=wkey("optimizer"), on_change=keep, args=("optimizer",),
                     format_func=OPTIMIZER_LABELS.get)
        st.selectbox("Loss", LOSSES, key=wkey("loss"), on_change=keep, args=("loss",),
                     format_func=LOSS_LABELS.get)
        st.number_input("Seed", 0, SEED_MAX, step=1, key=wkey("seed"), on_change=keep, args=("seed",),
                        help="Draws the N(0, 1) starting weights.")
        st.toggle("Train when a setting changes", key=wkey("auto", True), on_change=keep, args=("auto",),
                  help="Training takes well under a second; switch this off to change several settings "
                       "and then press Train.")
    return config, error


# --- training -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XorView:
    """One trained network, as plain arrays for drawing (cached)."""

    config: XorConfig
    losses: np.ndarray  # (steps,)
    predictions: np.ndarray  # (4,)
    mse: float
    status: str
    message: str
    wall_s: float
    all_correct: bool
    n_right: int  # predictions on the right side of 0.5
    hidden: tuple[np.ndarray, ...]  # per hidden layer (4, H): its activations for the four inputs
    grid: tuple[np.ndarray, np.ndarray, np.ndarray]  # xs (R,), ys (R,), probs (R, R)


@st.cache_data(max_entries=64, show_spinner=False)
def train(config: XorConfig, steps: int | None = None) -> XorView:
    """Train ``config`` (see :func:`engine.xor.mlp.train_xor`) and keep what the page draws;
    ``steps=0``: the network as it starts."""
    result = untrained(config) if steps == 0 else train_xor(config)
    with np.errstate(all="ignore"):
        trace = result.model.forward(XOR_X)
        grid = decision_grid(result, resolution=GRID)
    return XorView(config, result.losses, result.predictions, result.mse, result.status, result.message,
                   result.wall_s, result.all_correct, result.n_right, tuple(h.copy() for h in trace.h), grid)


def train_now() -> None:
    """on_click of Train: show the network of the current settings."""
    config, _ = config_from_settings()
    if config is not None:
        ss()[P + "trained"] = config


def shown_config(current: XorConfig | None) -> XorConfig:
    """The config whose results are shown: the current one when training follows the settings."""
    if current is not None and (ss().get(P + "auto", True) or P + "trained" not in ss()):
        ss()[P + "trained"] = current
    return ss().get(P + "trained") or XorConfig()


def replay_steps(steps: int, points: int = 10) -> list[int]:
    """Steps at which the replay slider can stop: 0 (the network as it starts), then about ``points``
    more, ending at ``steps``."""
    return sorted({0} | {max(1, round(steps * k / points)) for k in range(1, points + 1)})


def replay_key(shown: XorConfig, marks: list[int]) -> str:
    """The replay slider's key, moved back to the end whenever another network is shown."""
    key = P + "replay"
    if ss().get(P + "replay_for") != shown or ss().get(key) not in marks:
        ss()[P + "replay_for"] = shown
        ss()[key] = marks[-1]
    return key


def view_at(shown: XorConfig, final: XorView, step: int) -> XorView:
    """The network of ``shown`` after ``step`` steps (retrained from the same start, cached)."""
    if step >= final.config.steps or final.status != "finished":
        return final
    return train(shown, 0) if step == 0 else train(shown.replace(steps=step))
