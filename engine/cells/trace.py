"""What every layer trace has in common: stacked per-step arrays, named as in the cell's maths.

Each cell's forward returns its own frozen dataclass (:class:`engine.cells.rnn.RNNTrace`,
:class:`engine.cells.lstm.LSTMTrace`, :class:`engine.cells.gru.GRUTrace`), always with
``h``, the layer's hidden states; its backward consumes it, and analyses and figures
read its fields by attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class LayerTrace:
    """Base of the per-layer traces; subclasses add the fields (``h`` always among them)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The field names, in the order the class declares them."""
        return tuple(f.name for f in fields(cls))

    def map(self, fn: Callable[[np.ndarray], np.ndarray]):
        """The same kind of trace with ``fn`` applied to every array (e.g. one sum, one step)."""
        return type(self)(**{name: fn(getattr(self, name)) for name in self.names()})
