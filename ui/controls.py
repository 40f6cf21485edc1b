"""The hyperparameter widgets: they describe an :class:`engine.Config`.

``config_controls(initial, key)`` draws the widgets (in the sidebar by
default) and returns the Config they describe. Their values are kept the way
every page keeps its settings (:class:`ui.widget_state.WidgetState`, prefix
``"{key}."``); ``initial`` fills the ones not set yet (first visit), and all
of them after a :func:`ui.session.reset` from anywhere; otherwise the user's
choices persist. Choosing a preset fills every widget from
:data:`engine.PRESETS` and starts a fresh model (asking first while a run
trains); the box says "custom" when the settings match no preset. Every
widget is made from its :mod:`engine.schema` row (label, help, range), the
same row the link parser and the engine check;
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

CUSTOM = "custom"  # the preset box's entry for settings that match no preset
PRESET_LABELS = {
    "fast": "fast: vanilla RNN, Adam, batches of 64",
    "classic": "classic: the tutorial's per-sample loop",
    "lstm": "lstm: two layers of 20 LSTM units",
    CUSTOM: "custom: your own settings",
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


def _choose_preset(key: str) -> None:
    """The preset box changed: start a fresh run with the preset, or ask first while a run trains."""
    name = _settings(key).value("preset")
    if name == CUSTOM:  # nothing to fill in: the box names a preset again once the settings match one
        return
    lab = state.session()
    if lab.running and lab.owned:
        st.session_state[_k(key, "ask_preset")] = name
    else:
        switch_preset(key, name)


def switch_preset(key: str, name: str) -> None:
    """Fill every widget from preset ``name`` and start a fresh model with it (a button callback too)."""
    st.session_state.pop(_k(key, "ask_preset"), None)
    config = PRESETS[name].normalised()
    _set_widgets(key, config)
    lab = state.session()
    lab.link_warnings.clear()  # about a link these settings replace
    state.reset(config)


def _keep_run(key: str) -> None:
    st.session_state.pop(_k(key, "ask_preset"), None)


def matching_preset(config: Config) -> str | None:
    """The name of the preset ``config`` equals (ignoring the seed), if any."""
    for name, p in PRESETS.items():
        if p.normalised().replace(seed=config.seed) == config:
            return name
    return None


def _shown_preset(W: WidgetState) -> str:
    """The preset the widgets' values are (ignoring the seed), or :data:`CUSTOM`."""
    try:
        config = Config(**{name: widget_value(name, W.kept(name)) for name in FIELDS}).normalised()
    except (ValueError, TypeError):
        return CUSTOM
    return matching_preset(config) or CUSTOM


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
        W.hold(name, getattr(initial, name))
    W.put("preset", _shown_preset(W))  # the box names the preset the settings are, or "custom"
    classic = W.value("algorithm") == "classic"
    if classic:  # the per-sample loop fixes these; show what it really does
        for name, value in CLASSIC_FIXED.items():
            W.put(name, value)
    w = W.key

    def draw(name, where=None, off=False, help=None):
        fixed = classic and name in CLASSIC_FIXED
        setting_widget(name, w(name), where, disabled=fixed or off, help=FIXED_NOTE if fixed else help,
                       on_change=W.keep, args=(name,), value=W.kept(name))

    with box:
        st.header("Hyperparameters")
        st.selectbox("Preset", [*PRESETS, CUSTOM], key=w("preset"), format_func=PRESET_LABELS.get,
                     on_change=_choose_preset, args=(key,),
                     help="Starts a fresh model with every setting below filled in; change any of them "
                          "afterwards. Shows custom when the settings match no preset.")
        asked = ss.get(_k(key, "ask_preset"))
        if asked:
            with st.container(border=True):
                st.warning(f"A run is training. Start a fresh model with the **{asked}** preset? The "
                           "current run stops and stays on the Runs page.", icon=":material/help:")
                c1, c2 = st.columns(2)
                c1.button("Start fresh", key=_k(key, "preset_yes"), type="primary", width="stretch",
                          on_click=switch_preset, args=(key, asked))
                c2.button("Keep training", key=_k(key, "preset_no"), width="stretch",
                          on_click=_keep_run, args=(key,))
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
    values = {name: widget_value(name, W.kept(name)) for name in FIELDS}  # kept by each widget's on_change
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
    return config


# --- running -------------------------------------------------------------------------------------


def reset_to_widgets() -> None:
    """A fresh model from the settings the widgets show (a button callback)."""
    state.reset(state.session().config)


def _take_run_settings(key: str) -> None:
    """The speed and "Pause when solved" as the widgets show them now: a click that comes with a
    change of either (one rerun) starts or steps the run with the new values."""
    W = _settings(key)
    live.set_speed(W.value("speed"))
    live.set_auto_pause(bool(W.value("auto_pause")))


def _click(key: str, action) -> None:
    _take_run_settings(key)
    action()


def run_controls(key: str = "train", reset: bool = True) -> None:
    """Play / Pause / Step (/ Reset), the speed and "pause when solved", in one row of the status bar.

    Buttons act through callbacks, so the whole run that follows (every live view's timer included)
    already sees the new state. Reset (on the Train page, ``reset``) starts a fresh model from the
    settings the widgets show. A tab that only watches a run (a shared link) gets Reset and the copy
    button, nothing that changes the run.
    """
    lab = state.session()
    W = _settings(key)
    W.hold("speed", lab.speed)
    W.hold("auto_pause", lab.auto_pause)
    _take_run_settings(key)
    can = lab.can_play
    box = st.container()  # the row and its note in one slot, so what follows keeps its place
    widths = [1, 1, 1, 1, 1.8, 1.6] if reset else [1, 1, 1, 1.8, 1.6]
    cols = box.columns(widths, vertical_alignment="bottom")
    if not reset:
        cols.insert(3, None)
    cols[0].button("Play", key=_k(key, "play"), icon=":material/play_arrow:", type="primary",
                   on_click=_click, args=(key, live.play), disabled=lab.running or not can,
                   width="stretch",
                   help="Train continuously (in a worker process on the server); the charts below update "
                        "as it learns. It trains on if you close the tab; the link brings you back to it.")
    cols[1].button("Pause", key=_k(key, "pause"), icon=":material/pause:", on_click=_click,
                   args=(key, live.pause), disabled=not (lab.running and lab.owned), width="stretch")
    steps = ", ".join(f"{n} at {name}" for name, n in live.STEP_STEPS.items())
    cols[2].button("Step", key=_k(key, "step"), icon=":material/skip_next:", on_click=_click,
                   args=(key, live.step), disabled=not can, width="stretch",
                   help=f"Train a few steps, then pause ({steps}); while training, pause after that many.")
    if reset:
        cols[3].button("Reset", key=_k(key, "reset"), icon=":material/restart_alt:",
                       on_click=reset_to_widgets, width="stretch",
                       help="Start again from fresh weights with the settings in the sidebar (the run so far "
                            "stays on the Runs page).")
    cols[4].select_slider("Speed", list(live.SPEEDS), key=W.key("speed"), on_change=W.keep, args=("speed",),
                          value=W.kept("speed"),
                          disabled=not lab.owned,
                          help=f"Steps per second: crawl trains one a second, class "
                               f"{live.SPEEDS['class']:g}, evenly, to talk over (the default model solves in "
                               f"about half a minute), slow {live.SPEEDS['slow']:g}, full as fast as the "
                               "server can.")
    cols[5].checkbox("Pause when solved", key=W.key("auto_pause"), on_change=W.keep, args=("auto_pause",),
                     value=W.kept("auto_pause"),
                     disabled=not lab.owned,
                     help="Stop the first time every sum of the evaluation set is right.")
    if lab.owned and lab.view is not None and lab.view.state == "finished" and not can:
        where = "in the sidebar" if reset else "on the Train page"
        box.caption(f"The step budget is used up: raise **Steps budget** {where} to train on, or reset "
                    "to start again.")
