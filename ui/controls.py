"""The hyperparameter widgets: they describe an :class:`engine.Config`.

``config_controls(initial, key)`` draws the widgets (in the sidebar by
default) and returns the Config they describe. Their values are kept the way
every page keeps its settings (:class:`ui.widget_state.WidgetState`, prefix
``"{key}."``); ``initial`` fills the ones not set yet (first visit), and all
of them after a :func:`ui.session.reset` from anywhere; otherwise the user's
choices persist. Choosing a preset fills every widget from
:data:`engine.PRESETS`. Every widget is made from its :mod:`engine.schema`
row (label, help, range), the same row the link parser and the engine check;
a configuration too heavy to train live is refused by the named rule in
:mod:`engine.cost`, with its message.
"""

from __future__ import annotations

import streamlit as st

from engine import schema
from engine.config import CLASSIC_FIXED, PRESETS, Config
from engine.cost import live_problem
from ui import live
from ui import session as state
from ui.link import FIELDS
from ui.widget_state import WidgetState
from ui.widgets import setting_widget, widget_value

PRESET_LABELS = {
    "fast": "fast: vanilla RNN, Adam, batches of 64",
    "classic": "classic: the tutorial's per-sample loop",
    "lstm": "lstm: two layers of 20 LSTM units",
}
FIXED_NOTE = "Fixed by the tutorial's loop."


def label(name: str) -> str:
    """What the page calls setting ``name``."""
    return schema.BY_NAME[name].label


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
        # A reset to what the widgets showed (Reset, or the rebuild of an untrained model) keeps them
        # as they are now: the user may have changed one since. Any other reset (a loaded model) fills them.
        if ss.get(_k(key, "shown")) != initial:
            _set_widgets(key, initial)
    for name in FIELDS:
        W.bind(name, getattr(initial, name))
    W.bind("preset", matching_preset(initial) or "fast")
    classic = W.value("algorithm") == "classic"
    if classic:  # the per-sample loop fixes these; show what it really does
        for name, value in CLASSIC_FIXED.items():
            W.put(name, value)
    w = W.key

    def draw(name, where=None, off=False, help=None):
        fixed = classic and name in CLASSIC_FIXED
        setting_widget(name, w(name), where, disabled=fixed or off, help=FIXED_NOTE if fixed else help)

    with box:
        st.header("Hyperparameters")
        st.selectbox("Preset", list(PRESETS), key=w("preset"), format_func=PRESET_LABELS.get,
                     on_change=_apply_preset, args=(key,),
                     help="Fills every setting below; change any of them afterwards.")
        preset_note = st.empty()
        draw("algorithm")
        st.subheader("Model")
        draw("cell")
        c1, c2 = st.columns(2)
        draw("hidden", c1)
        draw("layers", c2)
        draw("activation", off=ss[w("cell")] != "rnn")
        draw("bits")
        st.subheader("Training")
        c1, c2 = st.columns(2)
        draw("batch", c1)
        draw("optimizer", c2)
        draw("lr")
        draw("loss")
        c1, c2 = st.columns(2)
        draw("clip", c1)
        draw("seed", c2)
        draw("steps")
        with st.expander("More settings"):
            draw("init")
            draw("bias")
            draw("keep_prob")
            draw("forget_bias", off=ss[w("cell")] != "lstm")
            draw("eval_every")
            draw("dtype")
    for name in (*FIELDS, "preset"):  # remember them beyond this page's visit
        W.keep(name)
    values = {name: widget_value(name, W.value(name)) for name in FIELDS}
    try:
        config = Config(**values).normalised().validate()
    except ValueError as e:
        box.error(f"These settings do not work together: {e}. Still using the previous ones.")
        return initial
    heavy = live_problem(config)
    if heavy:
        box.error(f"{heavy} Still using the previous settings.")
        return initial
    ss[_k(key, "shown")] = config
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
                          help="Training time per update of the page: class trains a few steps a second, "
                               "evenly, to talk over; crawl shows single steps, fast trains longer "
                               "between updates.")
    cols[5].checkbox("Pause when solved", key=W.key("auto_pause"), on_change=W.keep, args=("auto_pause",),
                     help="Stop the first time every sum of the evaluation set is right.")
    lab.speed = live.SPEEDS[W.value("speed")]
    lab.auto_pause = bool(W.value("auto_pause"))
    if lab.trainer.status == "finished":
        box.caption("The step budget is used up: raise **Steps budget** in the sidebar to train on, "
                    "or press Reset to start again.")
