"""The XOR page's link: its network settings, e.g. ``?xor.layers=2&xor.loss=sse&xor.seed=3``.

Names are prefixed (``xor.``) because the Train page's link uses ``layers``, ``lr``, ``seed`` and more.
"""

from __future__ import annotations

from engine.xor.mlp import ACTIVATIONS, LOSSES, OPTIMIZERS
from pages.xor import state as X
from ui import page_link
from ui.page_link import Field
from ui.widget_state import ss

PAGE = "xor"
FIELDS = [
    Field("xor.layers", "Hidden layers", int, 1, 2),
    Field("xor.width1", "Units, layer 1", int, 1, X.MAX_WIDTH),
    Field("xor.width2", "Units, layer 2", int, 1, X.MAX_WIDTH),
    Field("xor.activation", "Activation", choices=ACTIVATIONS),
    Field("xor.lr", "Learning rate", float, 0, 100, above_low=True),
    Field("xor.steps", "Steps", int, 1, X.MAX_STEPS),
    Field("xor.optimizer", "Optimizer", choices=OPTIMIZERS),
    Field("xor.loss", "Loss", choices=LOSSES),
    Field("xor.seed", "Seed", int, 0, 2**32 - 1),
]


def setting(field: Field) -> str:
    return field.name.removeprefix("xor.")


def read() -> None:
    """Take a new link's settings (before the sidebar draws them)."""
    for name, value in page_link.read(PAGE, FIELDS).items():
        X.put(name.removeprefix("xor."), value)


def write() -> dict[str, str]:
    """The page's settings as its link."""
    values = {f.name: ss().get(X.P + setting(f)) for f in FIELDS}
    return page_link.write(PAGE, FIELDS, {k: v for k, v in values.items() if v is not None})
