"""The link reader and the sidebar widgets take exactly the schema's range, for every setting."""

from __future__ import annotations

import math

import pytest

from engine import schema
from engine.config import Config
from ui import link


def inside(s: schema.Setting) -> list:
    """The boundary values of a number setting (every choice of the others)."""
    if s.kind is bool:
        return [True, False]
    return list(s.choices) if s.choices else [s.kind(s.lo), s.kind(s.hi)]


def outside(s: schema.Setting) -> list:
    """One past each boundary (the next whole number or float), or a value that is no choice."""
    if s.kind is bool or s.choices:
        return ["maybe"]
    if s.kind is int:
        return [s.lo - 1, s.hi + 1]
    return [math.nextafter(s.lo, -math.inf), math.nextafter(s.hi, math.inf)]


def text(value) -> str:
    return repr(value) if isinstance(value, float) else str(value).lower()


@pytest.mark.parametrize("s", schema.SETTINGS, ids=lambda s: s.name)
def test_the_link_takes_exactly_the_schemas_range(s):
    for value in inside(s):
        config, warnings = link.from_params({s.name: text(value)})
        assert warnings == [] and getattr(config, s.name) == value, (value, warnings)
    for value in outside(s):
        config, warnings = link.from_params({s.name: text(value)})
        assert getattr(config, s.name) == s.default
        (warning,) = warnings
        assert warning.startswith(f"{s.label} ({s.name}): {text(value)!r} is not allowed; it takes "
                                  f"{schema.allowed(s)}; using the default ")


def widget(at, s: schema.Setting):
    key = f"train.{s.name}.w"
    if s.kind is bool:
        return at.checkbox(key=key)
    if s.choices:
        return at.radio(key=key) if s.widget == "radio" else at.selectbox(key=key)
    if s.log:
        return at.select_slider(key=key)
    return at.slider(key=key) if s.widget == "slider" else at.number_input(key=key)


def bounds(w, s: schema.Setting):
    """What the widget offers: its choices, or its smallest and largest value."""
    if s.kind is bool:
        return (True, False)
    if s.choices:
        return tuple(w.options)
    if s.log:
        return (float(w.options[0]), float(w.options[-1]))
    return (w.min, w.max)


@pytest.mark.parametrize("s", schema.SETTINGS, ids=lambda s: s.name)
def test_each_sidebar_widget_takes_exactly_the_schemas_range(app, s):
    at = app.run()
    if s.name == "forget_bias":  # shown for the LSTM only
        at.selectbox(key="train.cell.w").set_value("lstm").run()
    assert not at.exception
    offered = bounds(widget(at, s), s)
    assert offered == (tuple(s.show(c) for c in s.choices) if s.choices else tuple(inside(s)))
    for value in inside(s):
        widget(at, s).set_value(value).run()
        assert not at.exception and not at.error
        assert getattr(at.session_state["lab"].config, s.name) == value
    if s.kind is bool or s.choices:
        return  # nothing else can be chosen
    for value in outside(s):
        widget(at, s).set_value(value).run()
        assert not at.exception
        got = getattr(at.session_state["lab"].config, s.name)
        assert got != value and not schema.problem(s, got)


def test_a_combination_too_heavy_to_train_live_is_refused_by_name(app):
    at = app.run()
    at.selectbox(key="train.cell.w").set_value("lstm").run()
    at.number_input(key="train.layers.w").set_value(4).run()
    at.number_input(key="train.hidden.w").set_value(512).run()
    (error,) = [e.value for e in at.error]
    assert "live training budget" in error and "estimated cost" in error and "limit 500,000,000" in error
    config = at.session_state["lab"].config
    assert (config.cell, config.layers, config.hidden) == ("lstm", 4, 16)  # the last settings within it
    assert Config(cell="lstm", layers=4, hidden=512).validate()  # the engine itself allows it


# Junk links: each gives a usable configuration and, at most, warnings that name what was refused.
JUNK = [
    ({"hidden": "9" * 100_000}, "hidden", "Hidden units (hidden): '" + "9" * 40 + "…'"),
    ({"hidden": "٣"}, "hidden", "Hidden units (hidden): '٣' is not allowed"),
    ({"hidden": "²"}, "hidden", "Hidden units (hidden): '²' is not allowed"),
    ({"hidden": "１６"}, "hidden", "it takes a whole number from 1 to 512"),
    ({"seed": "4294967296"}, "seed", "it takes a whole number from 0 to 4,294,967,295"),
    ({"lr": "1e-400"}, "lr", "it takes a number from 0.00001 to 100"),  # underflows to 0
    ({"lr": "1e999"}, "lr", "Learning rate (lr): '1e999'"),
    ({"bits": ""}, "bits", "Bits per number (bits): '' is not allowed"),
    ({"cell": "rnn\x00"}, "cell", "Cell (cell): 'rnn\\x00' is not allowed; it takes one of rnn, lstm, gru"),
    ({"bias": "🙂"}, "bias", "Biases (bias): '🙂' is not allowed; it takes true or false"),
    ({"batch": ["8", "ten"]}, "batch", "Batch size (batch): 'ten'"),  # the last of repeated values counts
]


@pytest.mark.parametrize(("params", "name", "wanted"), JUNK, ids=[j[1] + str(i) for i, j in enumerate(JUNK)])
def test_a_junk_link_value_is_refused_with_its_field_named(params, name, wanted):
    config, warnings = link.from_params(params)
    assert getattr(config, name) == getattr(Config(), name)
    (warning,) = warnings
    assert wanted in warning and len(warning) < 200


def test_a_flood_of_unknown_parameters_gets_one_short_warning():
    params = {f"p{i}": "x" for i in range(10_000)} | {"hidden": "8"}
    config, warnings = link.from_params(params)
    assert config == Config(hidden=8)
    (warning,) = warnings
    assert warning.startswith("Ignored unknown link parameter(s): ") and len(warning) < 200
