"""Session state of the Gradients page: the chosen sum, the gradient-check settings, cached checks.

Every key this page owns starts with ``grad.``. Settings live under
``grad.<name>`` and are copied into the widget keys ``grad.<name>.w``
(Streamlit forgets a widget's state while its page is not shown). The model
looked at is the session's trainer's (:mod:`ui.session`), read, never changed.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine import Config, SequenceModel, data
from engine.analysis import budget
from engine.analysis.bptt import SumGradients, sum_gradients
from engine.cost import check_problem
from engine.gradcheck import GradCheckRow, RecurrentLayerCheck, check_model, recurrent_layer_check
from ui.session import session, weights_step
from ui.sums import default_sum, parse_sum
from ui.widget_state import WidgetState, ss
from ui.widgets import widget_value

P = "grad."
CHECK_HIDDEN = 8  # "use the model being trained" checks at most this many units (the check is slow)
CHECK_BITS, CHECK_BATCH = 5, 3
CHECK_FIELDS = ("cell", "layers", "hidden", "activation", "loss", "bias")  # schema settings, same ranges
REFERENCE_ACTIVATIONS = ("identity", "relu")
EPS_CHOICES = (1e-3, 1e-5, 1e-7)
NORM_BATCH = 64  # sums in the batch measured before the trainer has taken a step


W = WidgetState(P)
wkey, keep, put = W.bind, W.keep, W.put  # settings bound to widgets (see ui.widget_state)


def trainer():
    return session().trainer


# --- backpropagation through time on one sum ------------------------------------------------------


def chosen_sum(bits: int) -> tuple[tuple[int, int] | None, str]:
    """The typed sum at ``bits`` bits, or None and what is wrong."""
    a0, b0 = default_sum(bits)
    return parse_sum(ss().get(P + "a", str(a0)), ss().get(P + "b", str(b0)), bits)


def one_sum(model: SequenceModel, a: int, b: int, source: str) -> SumGradients:
    """The error of ``a + b`` sent back through ``model`` (every bit's or the last bit's)."""
    cfg = model.config
    return sum_gradients(model, data.make_batch([a], [b], cfg.bits), cfg.loss, source)


def training_norms() -> tuple[np.ndarray, str]:
    """(layers, T) gradient norm reaching each step, and where it comes from (for a caption)."""
    tr = trainer()
    cfg = tr.model.config
    sample = budget.sums_within(cfg, NORM_BATCH, budget.GRADIENT_S, backward=True)
    batch = data.random_batch(np.random.default_rng(0), sample.sums, cfg.bits)
    at = weights_step(tr)
    what = "the weights before any training" if at == 0 else f"the latest weights (step {at:,})"
    norms = sum_gradients(tr.model, batch, cfg.loss).dh_norm
    size = (f" (a large model: {sample.sums} instead of {NORM_BATCH}, as many as fit in about "
            f"{sample.seconds:g} s)") if sample.sampled else ""
    return norms, f"a batch of {sample.sums} random sums{size} with {what}"


# --- the model's gradient check -------------------------------------------------------------------


def check_defaults(config: Config) -> dict:
    """The check settings for ``config``: its architecture, made small."""
    return {"cell": config.cell, "layers": config.layers, "hidden": min(config.hidden, CHECK_HIDDEN),
            "activation": config.activation, "loss": config.loss, "bias": config.bias}


def use_current_model() -> None:
    """on_click: fill the check settings from the model being trained."""
    for name, value in check_defaults(trainer().config).items():
        put(name, value)
    run_check()


def check_config() -> tuple[Config | None, str]:
    """The small Config the check settings describe, or None and what is wrong.

    Each setting takes its schema range; a model too big to check by brute force is
    refused by the gradient-check budget (:func:`engine.cost.check_problem`), with its estimate.
    """
    base = check_defaults(trainer().config)
    v = {name: widget_value(name, ss().get(P + name, base[name])) for name in CHECK_FIELDS}
    try:
        cfg = Config(**v, bits=CHECK_BITS, batch=CHECK_BATCH).validate()
    except (TypeError, ValueError) as e:
        return None, str(e)
    heavy = check_problem(cfg, CHECK_BATCH, CHECK_BITS)
    return (None, heavy) if heavy else (cfg, "")


def run_check() -> None:
    """on_click of the check button: check the settings shown."""
    cfg, _ = check_config()
    if cfg is not None:
        ss()[P + "checked"] = cfg


def checked_config() -> Config:
    """The configuration whose check is shown (the current model's, made small, at first)."""
    if P + "checked" not in ss():
        ss()[P + "checked"] = check_config()[0] or Config(hidden=CHECK_HIDDEN, bits=CHECK_BITS,
                                                           batch=CHECK_BATCH)
    return ss()[P + "checked"]


@st.cache_data(max_entries=32, show_spinner=False)
def gradient_check(config: Config) -> list[GradCheckRow]:
    """:func:`engine.gradcheck.check_model` on a small batch (cached: it is pure)."""
    return check_model(config, batch=CHECK_BATCH, bits=CHECK_BITS)


@st.cache_data(max_entries=32, show_spinner=False)
def reference_check(activation: str, seed: int, eps: float) -> RecurrentLayerCheck:
    """Reference 004's check (:func:`engine.gradcheck.recurrent_layer_check`), cached."""
    return recurrent_layer_check(activation, seed=seed, eps=eps)
