"""The Gradients page's link: the sum and what is sent back, the gradient check's settings, the
reference check's settings. (The check settings' own reading lives in :mod:`pages.gradients.state`.)

``?a=127&b=1&error=last&check.cell=lstm&check.hidden=4`` opens the last bit's error on 127 + 1 and the
check of a 4-unit LSTM. Names that Train's link uses are prefixed, so no link is read as the other's.
"""

from __future__ import annotations

from engine import schema
from engine.analysis.bptt import SOURCES
from pages.gradients import state as G
from ui import page_link
from ui.page_link import Field, cut
from ui.sums import parse_sum
from ui.widget_state import ss

PAGE = "gradients"
SUM_FIELDS = [Field("a", "a"), Field("b", "b")]
def schema_field(link_name: str, name: str) -> Field:
    """A check setting's link field: its range and label from the schema row (the widgets' too)."""
    s = schema.BY_NAME[name]
    return Field(link_name, s.label, s.kind, s.lo, s.hi, tuple(s.choices))


# link name -> (setting of the page, Field)
SETTINGS = {
    "error": ("source", Field("error", "Error sent back", choices=SOURCES)),
    "show": ("what", Field("show", "Show", choices=("dh", "dpre"))),
    **{f"check.{name}": (name, schema_field(f"check.{name}", name)) for name in G.CHECK_FIELDS},
    "ref.activation": ("ref_activation", Field("ref.activation", "Activation (reference check)",
                                               choices=G.REFERENCE_ACTIVATIONS)),
    "ref.eps": ("ref_eps", Field("ref.eps", "Nudge ε", float, choices=G.EPS_CHOICES)),
    "ref.seed": ("ref_seed", Field("ref.seed", "Seed (reference check)", int, 0, 2**32 - 1)),
}
FIELDS = SUM_FIELDS + [f for _, f in SETTINGS.values()]
CHECKS = {name for name, (setting, _) in SETTINGS.items() if setting in G.CHECK_FIELDS}


def read() -> dict:
    """Take a new link's settings (before the widgets are drawn); return all its values."""
    values = page_link.read(PAGE, FIELDS)
    for name, (setting, _) in SETTINGS.items():
        if name in values:
            G.put(setting, values[name])
    if CHECKS & set(values):
        G.run_check()  # the linked check is the one shown
    return values


def apply_sum(values: dict, bits: int) -> None:
    """Take a new link's sum (after the page has set the model's own default sum)."""
    if "a" not in values and "b" not in values:
        return
    a, b = values.get("a", ss().get(G.P + "a", "0")), values.get("b", ss().get(G.P + "b", "0"))
    pair, error = parse_sum(a, b, bits)
    if pair is None:
        ss().setdefault(PAGE + ".link_warnings", []).append(
            f"The sum {cut(str(a))} + {cut(str(b))} cannot be shown ({error}); kept the page's own sum.")
    else:
        G.put("a", str(pair[0]))
        G.put("b", str(pair[1]))


def write() -> dict[str, str]:
    """The page's state as its link."""
    values = {"a": ss().get(G.P + "a"), "b": ss().get(G.P + "b")}
    for name, (setting, _) in SETTINGS.items():
        values[name] = ss().get(G.P + setting)
    return page_link.write(PAGE, FIELDS, {k: v for k, v in values.items() if v is not None})
