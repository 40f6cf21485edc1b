"""Every page's state is in its link: a link opens the page as it was, bad values say what is allowed,
and the page writes its state back (which the header's Copy-link box shows)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from engine import Config
from tests.app.conftest import APP, TIMEOUT
from ui.link import to_params

UNROLLED, GRADIENTS, XOR = "pages/unrolled/page.py", "pages/gradients/page.py", "pages/xor/page.py"


def open_at(page: str, params: dict) -> AppTest:
    """A first visit to ``page`` with the link ``params`` (the default page runs first, as on a fresh
    server)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.query_params.clear()
    at.query_params.update(params)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def link(at) -> dict[str, str]:
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def copy_box(at) -> str:
    """The address in the header's Copy-link box (the first code block of every page)."""
    return at.code[0].value


def warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def unrolled_spec(at) -> dict:
    """The Unrolled page's step-through figure (a live chart)."""
    (el,) = [c for c in at.get("bidi_component") if c.key == "unrolled.unrolled_chart"]
    return json.loads(json.loads(el.proto.json)["figure"])


def test_an_unrolled_link_opens_that_sum_width_step_and_order():
    at = open_at(UNROLLED, {"model": "example", "a": "100", "b": "27", "width": "16", "step": "5",
                            "sort": "0", "msb": "1"})
    assert at.radio(key="unrolled.source.w").value == "example"
    assert at.text_input(key="unrolled.a.w").value == "100"
    assert at.text_input(key="unrolled.b.w").value == "27"
    assert at.selectbox(key="unrolled.bits.w").value == 16
    assert at.toggle(key="unrolled.sort.w").value is False and at.toggle(key="unrolled.msb.w").value is True
    spec = unrolled_spec(at)
    rect = spec["layout"]["shapes"][-1]
    assert (rect["x0"] + rect["x1"]) / 2 == 5  # the linked step is outlined
    assert spec["layout"]["xaxis"]["range"] == [15.5, -0.5]  # most significant bit on the left
    assert link(at) == {"model": "example", "a": "100", "b": "27", "width": "16", "step": "5", "sort": "0",
                        "msb": "1"}
    assert "a=100" in copy_box(at) and "step=5" in copy_box(at)
    assert not warnings(at)


def test_the_unrolled_link_follows_the_page():
    at = open_at(UNROLLED, {"a": "127", "b": "1"})
    at.session_state["unrolled.last_move"] = None
    at.button(key="unrolled.next").click().run()
    assert link(at)["step"] == "1"
    at.text_input(key="unrolled.a.w").input("5").run()
    assert link(at)["a"] == "5" and link(at)["step"] == "1"
    assert "a=5" in copy_box(at)


@pytest.mark.parametrize("params,message", [
    ({"step": "x"}, "Step (step): 'x' is not allowed; it takes a whole number from 0 to 63"),
    ({"width": "7"}, "Width (bits) (width): 7 is not offered for this model; it takes one of 8, 16, 32"),
    ({"sort": "maybe"}, "(sort): 'maybe' is not allowed; it takes true or false"),
    ({"a": "300", "b": "1"}, "The sum 300 + 1 cannot be shown (a = 300 does not fit in 8 bits"),
    ({"model": "x" * 60}, "Model (model): '" + "x" * 40 + "…' is not allowed; it takes one of trained, "
                          "example"),
])
def test_a_bad_unrolled_link_says_what_is_allowed_and_keeps_the_page(params, message):
    at = open_at(UNROLLED, params)
    assert message in warnings(at), warnings(at)
    assert not at.error  # the page itself still shows its own sum
    assert at.text_input(key="unrolled.a.w").value == "127"


def test_a_gradients_link_opens_its_sum_and_settings():
    at = open_at(GRADIENTS, {"a": "5", "b": "3", "error": "last", "check.cell": "gru", "check.hidden": "4",
                             "ref.activation": "relu", "ref.eps": "1e-05"})
    assert at.text_input(key="grad.a.w").value == "5" and at.radio(key="grad.source.w").value == "last"
    assert at.selectbox(key="grad.cell.w").value == "gru" and at.number_input(key="grad.hidden.w").value == 4
    assert "Checked: GRU, 1 × 4 units" in " ".join(c.value for c in at.caption)  # the linked check is shown
    assert at.radio(key="grad.ref_activation.w").value == "relu"
    assert link(at)["check.cell"] == "gru" and link(at)["ref.eps"] == "0.00001" and link(at)["a"] == "5"
    at.radio(key="grad.source.w").set_value("all").run()
    assert link(at)["error"] == "all"


def test_a_bad_gradients_link_says_what_is_allowed():
    at = open_at(GRADIENTS, {"check.hidden": "1000", "ref.eps": "0.5"})
    text = warnings(at)
    assert "Hidden units (check.hidden): '1000' is not allowed; it takes a whole number from 1 to 512" in text
    assert "Nudge ε (ref.eps): '0.5' is not allowed; it takes one of 0.001, 0.00001, 0.0000001" in text


def test_a_xor_link_opens_that_network_and_follows_the_settings():
    at = open_at(XOR, {"xor.layers": "2", "xor.width1": "8", "xor.width2": "4", "xor.seed": "3"})
    assert {m.label: m.value for m in at.metric}["Network"] == "2-8-4-1"
    assert link(at)["xor.layers"] == "2" and link(at)["xor.seed"] == "3"
    at.number_input(key="xor.seed.w").set_value(4).run()
    assert link(at)["xor.seed"] == "4"


def test_a_bad_xor_link_says_what_is_allowed():
    at = open_at(XOR, {"xor.lr": "-1", "xor.steps": "1e9"})
    text = warnings(at)
    assert "Learning rate (xor.lr): '-1' is not allowed; it takes a number above 0 to 100" in text
    assert "Steps (xor.steps): '1e9' is not allowed; it takes a whole number from 1 to 20,000" in text


def test_the_xor_page_shows_its_own_status_not_the_addition_runs():
    at = open_at(XOR, {})
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["State", "Network"] and not any(label.startswith("Step (of") for label in labels)


def test_a_train_link_in_presentation_mode_warns_of_nothing():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({**to_params(Config(hidden=8)), "present": "1"})
    at.run()
    assert not at.exception and not warnings(at)
    assert link(at)["hidden"] == "8" and link(at)["present"] == "1"
