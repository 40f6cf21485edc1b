"""The hyperparameter widgets: they describe an :class:`engine.Config`.

``config_controls(initial, key)`` draws the widgets (in the sidebar by
default) and returns the Config they describe. Their values are kept the way
every page keeps its settings (:class:`ui.widget_state.WidgetState`, prefix
``"{key}."``); ``initial`` fills the ones not set yet (first visit), and all
of them after a :func:`ui.session.reset` from anywhere; otherwise the user's
choices persist. Choosing a preset fills every widget from
:data:`engine.PRESETS`. Ranges come from :data:`ui.link.LIMITS`, the same
table the link parser checks.
"""

from __future__ import annotations

import streamlit as st

from engine.config import (
    ACTIVATIONS,
    CELLS,
    CLASSIC_FIXED,
    DTYPES,
    INITS,
    LOSSES,
    OPTIMIZERS,
    PRESETS,
    Config,
)
from ui import live
from ui import session as state
from ui.link import FIELDS, LIMITS
from ui.widget_state import WidgetState

PRESET_LABELS = {
    "fast": "fast: vanilla RNN, Adam, batches of 64",
    "classic": "classic: the tutorial's per-sample loop",
    "lstm": "lstm: two layers of 20 LSTM units",
}
CELL_LABELS = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
# What each field is called on the page (for messages).
FIELD_LABELS = {
    "cell": "cell", "hidden": "hidden units", "layers": "layers", "activation": "activation",
    "bias": "biases", "init": "initial weights", "forget_bias": "forget-gate bias",
    "keep_prob": "keep probability",
    "bits": "bits per number", "batch": "batch size", "optimizer": "optimizer", "lr": "learning rate",
    "loss": "loss", "clip": "gradient clip", "steps": "steps budget", "seed": "seed",
    "eval_every": "evaluation interval", "algorithm": "training loop", "dtype": "precision",
}
ALGORITHM_LABELS = {"batched": "batched trainer", "classic": "tutorial's per-sample loop"}
LR_CHOICES = tuple(float(f"{m}e{e}") for e in range(-5, 2) for m in (1, 2, 5) if float(f"{m}e{e}") <= 10)


def lr_choices(current: float) -> list[float]:
    """Log-spaced learning rates (1, 2, 5 per decade), plus ``current`` if it is not one of them."""
    return sorted({*LR_CHOICES, float(current)})


def _k(key: str, name: str) -> str:
    """The key of a button (widgets with a value are bound through :func:`_settings`)."""
    return f"{key}.{name}"


def _settings(key: str) -> WidgetState:
    return WidgetState(f"{key}.")


def _set_widgets(key: str, config: Config) -> None:
    for name in FIELDS:
        _settings(key).put(name, getattr(config, name))


def _apply_preset(key: str) -> None:
    W = _settings(key)
    W.keep("preset")
    _set_widgets(key, PRESETS[W.value("preset")].normalised())


def matching_preset(config: Config) -> str | None:
    """The name of the preset ``config`` equals (ignoring the seed), if any."""
    for name, p in PRESETS.items():
        if p.normalised().replace(seed=config.seed) == config:
            return name
    return None


def config_controls(initial: Config, key: str = "train", container=None) -> Config:
    """Draw the hyperparameter widgets; return the Config they describe (always valid).

    Parameters
    ----------
    initial : fills widgets that have no value yet
    key : prefix of the widget keys (one per page)
    container : where to draw (default ``st.sidebar``)
    """
    box = st.sidebar if container is None else container
    ss = st.session_state
    W = _settings(key)
    resets = state.session().resets
    if ss.get(_k(key, "resets")) != resets:  # a reset (here or elsewhere) since the widgets were filled
        ss[_k(key, "resets")] = resets
        _set_widgets(key, initial)
    for name in FIELDS:
        W.bind(name, getattr(initial, name))
    W.bind("preset", matching_preset(initial) or "fast")
    classic = W.value("algorithm") == "classic"
    if classic:  # the per-sample loop fixes these; show what it really does
        for name, value in CLASSIC_FIXED.items():
            W.put(name, value)
    w = W.key

    lo, hi = LIMITS["hidden"], LIMITS["bits"]
    with box:
        st.header("Hyperparameters")
        st.selectbox("Preset", list(PRESETS), key=w("preset"), format_func=PRESET_LABELS.get,
                     on_change=_apply_preset, args=(key,),
                     help="Fills every setting below; change any of them afterwards.")
        preset_note = st.empty()
        st.radio("Training loop", list(ALGORITHM_LABELS), key=w("algorithm"),
                 format_func=ALGORITHM_LABELS.get, horizontal=True,
                 help="The tutorial's loop trains a one-layer sigmoid RNN on one sum per step with plain "
                      "gradient descent; the batched trainer offers every option.")
        fixed = "Fixed by the tutorial's loop." if classic else None
        st.subheader("Model")
        st.selectbox("Cell", CELLS, key=w("cell"), format_func=CELL_LABELS.get, disabled=classic, help=fixed)
        c1, c2 = st.columns(2)
        c1.number_input("Hidden units", int(lo[0]), int(lo[1]), step=1, key=w("hidden"))
        c2.number_input("Layers", *map(int, LIMITS["layers"]), step=1, key=w("layers"), disabled=classic,
                        help=fixed)
        st.selectbox("Activation", ACTIVATIONS, key=w("activation"),
                     disabled=classic or ss[w("cell")] != "rnn",
                     help=fixed or "Used by the vanilla RNN; LSTM and GRU cells have their own gates.")
        st.slider("Bits per number", int(hi[0]), int(hi[1]), key=w("bits"),
                  help="Width of the numbers added; operands stay below half the range so the sum fits.")
        st.subheader("Training")
        c1, c2 = st.columns(2)
        c1.number_input("Batch size", *map(int, LIMITS["batch"]), step=1, key=w("batch"), disabled=classic,
                        help=fixed or "Sums per training step.")
        c2.selectbox("Optimizer", OPTIMIZERS, key=w("optimizer"), disabled=classic, help=fixed)
        st.select_slider("Learning rate (log scale)", lr_choices(ss[w("lr")]), key=w("lr"),
                         format_func=lambda v: f"{v:g}",
                         help="Takes effect at once, without a reset.")
        st.selectbox("Loss", LOSSES, key=w("loss"), disabled=classic, help=fixed,
                     format_func={"mse": "squared error", "bce": "cross-entropy"}.get)
        c1, c2 = st.columns(2)
        c1.number_input("Gradient clip", *LIMITS["clip"], step=0.5, key=w("clip"), disabled=classic,
                        help=fixed or "Largest global gradient norm; 0 turns clipping off.")
        c2.number_input("Seed", *map(int, LIMITS["seed"]), step=1, key=w("seed"),
                        help="Seeds the initial weights, the sums drawn and dropout.")
        st.number_input("Steps budget", *map(int, LIMITS["steps"]), step=100, key=w("steps"),
                        help="Raising it lets a finished run continue.")
        with st.expander("More settings"):
            st.selectbox("Initial weights", INITS, key=w("init"), disabled=classic, help=fixed)
            st.checkbox("Biases", key=w("bias"), disabled=classic, help=fixed)
            st.slider("Keep probability (dropout)", *LIMITS["keep_prob"], step=0.05, key=w("keep_prob"),
                      disabled=classic, help=fixed or "1 turns dropout off.")
            st.slider("Forget-gate bias (LSTM)", *LIMITS["forget_bias"], step=0.5, key=w("forget_bias"),
                      disabled=ss[w("cell")] != "lstm")
            st.number_input("Evaluate every (steps)", *map(int, LIMITS["eval_every"]), step=10,
                            key=w("eval_every"))
            st.selectbox("Precision", DTYPES, key=w("dtype"), disabled=classic,
                         help=fixed or "float32 is faster; gradient checks always use float64.")
    for name in (*FIELDS, "preset"):  # remember them beyond this page's visit
        W.keep(name)
    values = {name: W.value(name) for name in FIELDS}
    for name in ("hidden", "layers", "bits", "batch", "seed", "steps", "eval_every"):
        values[name] = int(values[name])
    for name in ("lr", "clip", "keep_prob", "forget_bias"):
        values[name] = float(values[name])
    try:
        config = Config(**values).normalised().validate()
    except ValueError as e:
        box.error(f"These settings do not work together: {e}. Still using the previous ones.")
        return initial
    match = matching_preset(config)
    preset_note.caption(f"Settings of the {match} preset." if match else "Custom settings.")
    return config


# --- running -------------------------------------------------------------------------------------


def reset_to_widgets() -> None:
    """A fresh model from the settings the widgets show (a button callback)."""
    state.reset(state.session().config)


def run_controls(key: str = "train") -> None:
    """Play / Pause / Step / Reset, the speed and "pause when solved", in one row.

    Buttons act through callbacks, so the whole run that follows (every live
    view's timer included) already sees the new state. Reset starts a fresh
    model from the settings the widgets show.
    """
    lab = state.session()
    W = _settings(key)
    W.bind("speed", next(k for k, v in live.SPEEDS.items() if v == lab.speed))
    W.bind("auto_pause", lab.auto_pause)
    done = lab.trainer.done
    box = st.container()  # the row and its note in one slot, so what follows keeps its place
    cols = box.columns([1, 1, 1, 1, 1.8, 1.6], vertical_alignment="bottom")
    cols[0].button("Play", key=_k(key, "play"), icon=":material/play_arrow:", type="primary",
                   on_click=live.play, disabled=lab.running or done, width="stretch",
                   help="Train continuously; the charts below update as it learns.")
    cols[1].button("Pause", key=_k(key, "pause"), icon=":material/pause:", on_click=live.pause,
                   disabled=not lab.running, width="stretch")
    cols[2].button("Step", key=_k(key, "step"), icon=":material/skip_next:", on_click=live.step,
                   disabled=done, width="stretch",
                   help=f"Train one chunk (about {live.TICK_SECONDS:g} s times the speed), then pause.")
    cols[3].button("Reset", key=_k(key, "reset"), icon=":material/restart_alt:", on_click=reset_to_widgets,
                   width="stretch", help="Start again from fresh weights with the settings in the sidebar.")
    cols[4].select_slider("Speed", list(live.SPEEDS), key=W.key("speed"), on_change=W.keep, args=("speed",),
                          help="Training time per update of the page: crawl shows single steps, "
                               "fast trains longer between updates.")
    cols[5].checkbox("Pause when solved", key=W.key("auto_pause"), on_change=W.keep, args=("auto_pause",),
                     help="Stop the first time every sum of the evaluation set is right.")
    lab.speed = live.SPEEDS[W.value("speed")]
    lab.auto_pause = bool(W.value("auto_pause"))
    if lab.trainer.status == "finished":
        box.caption("The step budget is used up: raise **Steps budget** in the sidebar to train on, "
                    "or press Reset to start again.")
