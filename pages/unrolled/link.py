"""The Unrolled page's link: which model, the sum, its width, the step, the unit order and the bit order.

``?model=example&a=127&b=1&width=8&step=5`` opens the solved example on 127 + 1 at step 5.
"""

from __future__ import annotations

from pages.unrolled import state as U
from ui import page_link
from ui.page_link import Field, cut
from ui.sums import parse_sum
from ui.widget_state import ss

PAGE = "unrolled"
FIELDS = [
    Field("model", "Model", choices=(U.TRAINED, U.EXAMPLE)),
    Field("a", "a"), Field("b", "b"),
    Field("width", "Width (bits)", int, 2, 64),
    Field("step", "Step", int, 0, 63),
    Field("sort", "Sort units by carry correlation", bool),
    Field("msb", "Most significant bit on the left", bool),
]


def read_before_widgets() -> dict:
    """Take a new link's model choice and toggles (before the sidebar draws them); return all its values."""
    values = page_link.read(PAGE, FIELDS)
    if "model" in values:
        U.choose_source(values["model"])
    for name in ("sort", "msb"):
        if name in values:
            U.put(name, values[name])
    return values


def apply_sum(values: dict, train_bits: int) -> None:
    """Take a new link's width, sum and step (after the model, and so its widths, is known)."""
    if not values:
        return
    warnings = ss().setdefault(PAGE + ".link_warnings", [])
    bits = values.get("width", U.width())
    options = U.width_options(train_bits)
    if bits not in options:
        warnings.append(f"Width (bits) (width): {bits} is not offered for this model; it takes one of "
                        f"{', '.join(map(str, options))}; kept {U.width()}.")
        bits = U.width()
    if "a" in values or "b" in values:
        a, b = values.get("a", U.ss().get(U.P + "a", "0")), values.get("b", U.ss().get(U.P + "b", "0"))
        pair, error = parse_sum(a, b, bits)
        if pair is None:
            warnings.append(f"The sum {cut(str(a))} + {cut(str(b))} cannot be shown ({error}); kept the "
                            "page's own sum.")
        else:
            U.put("bits", bits)
            U.set_sum(*pair)
    else:
        U.put("bits", bits)
    if "step" in values:
        if values["step"] < bits:
            ss()[U.P + "t"] = values["step"]
        else:
            warnings.append(f"Step (step): {values['step']} is past the last step of a {bits}-bit sum; it "
                            f"takes a whole number from 0 to {bits - 1}.")


def write() -> dict[str, str]:
    """The page's state as its link."""
    s = ss()
    values = {"model": U.source() if U.source() != U.LOADED else None, "a": s.get(U.P + "a"),
              "b": s.get(U.P + "b"), "width": U.width(), "step": int(s.get(U.P + "t", 0)),
              "sort": bool(s.get(U.P + "sort", True)), "msb": bool(s.get(U.P + "msb", False))}
    return page_link.write(PAGE, FIELDS, {k: v for k, v in values.items() if v is not None})
