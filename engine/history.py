"""Training history as growable NumPy columns (cheap to append, cheap to read)."""

from __future__ import annotations

import numpy as np


class Columns:
    """A table of float columns that grows by doubling.

    ``append(**row)`` adds one row; ``self[name]`` is a read-only view of the
    filled part of a column, so readers never copy and never see a half row.
    """

    def __init__(self, *names: str, capacity: int = 1024):
        self.names = names
        self._data = {n: np.empty(capacity) for n in names}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, **row: float) -> None:
        n = self._n
        if n == len(self._data[self.names[0]]):
            for k, col in self._data.items():
                grown = np.empty(2 * len(col))
                grown[:n] = col[:n]
                self._data[k] = grown
        for k in self.names:
            self._data[k][n] = row[k]
        self._n = n + 1

    def extend(self, **columns) -> None:
        """Append many rows at once, one equally long array per column."""
        k = len(columns[self.names[0]])
        need = self._n + k
        if need > len(self._data[self.names[0]]):
            size = max(need, 2 * len(self._data[self.names[0]]))
            for name, col in self._data.items():
                grown = np.empty(size)
                grown[: self._n] = col[: self._n]
                self._data[name] = grown
        for name in self.names:
            self._data[name][self._n: need] = columns[name]
        self._n = need

    def __getitem__(self, name: str) -> np.ndarray:
        view = self._data[name][: self._n]
        view.flags.writeable = False
        return view

    def last(self, name: str, default: float = float("nan")) -> float:
        return float(self._data[name][self._n - 1]) if self._n else default

    def to_dict(self) -> dict[str, np.ndarray]:
        return {n: self[n].copy() for n in self.names}


class History:
    """What a trainer recorded.

    ``train`` has one row per training step: ``step``, ``loss`` (on the batch
    trained on), ``grad_norm`` (before clipping), ``samples`` (seen so far),
    ``lr``. ``evals`` has one row per evaluation: ``step``, ``eval_loss``,
    ``exact_acc`` (fraction of sums entirely right), ``bit_acc``.
    """

    def __init__(self):
        self.train = Columns("step", "loss", "grad_norm", "samples", "lr")
        self.evals = Columns("step", "eval_loss", "exact_acc", "bit_acc")
