"""Training batches drawn many steps at a time, the same sums as one draw per step.

Drawing a batch costs a handful of NumPy calls whatever its size, so the trainer
draws a block of steps at once (one ``integers`` call, one bit lookup) and hands
out one step's slice at a time. The generator produces the same numbers for one
call of ``K * 2 * batch`` values as for ``K`` pairs of calls of ``batch`` values
(checked by the tests), so a block gives exactly the sums that
:func:`engine.data.random_xy` would give step by step.

A stream can be captured and restored exactly: :meth:`BatchStream.position`
returns the generator's state at the start of the current block and how many of
its steps were used; :meth:`BatchStream.seek` restores the generator to that
state and draws the block again.
"""

from __future__ import annotations

import numpy as np

from engine.data import _bits, operand_limit

BLOCK_STEPS = 64  # steps drawn per block (a default-sized block is about 0.8 MB)


class BatchStream:
    """Training batches of ``batch`` random sums of ``bits`` bits, drawn from ``rng`` a block at a time.

    :meth:`next` returns ``(x, y)`` as :func:`engine.data.random_xy` does, time-major:
    ``x`` (T, B, 2) and ``y`` (T, B, 1) in ``dtype``; they are views of the block, valid
    until the next block is drawn. ``rng`` must not be used for anything else while
    the stream is in use (the next block is drawn from it ahead of time). Underneath they
    are feature-major, ``x.transpose(0, 2, 1)`` (T, 2, B) has contiguous rows.
    """

    def __init__(self, rng: np.random.Generator, batch: int, bits: int, dtype=np.float64,
                 block_steps: int = BLOCK_STEPS):
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.rng, self.batch, self.bits, self.dtype = rng, batch, bits, np.dtype(dtype)
        self.block_steps = max(1, int(block_steps))
        self._high = operand_limit(bits)
        self._block: np.ndarray | None = None  # (K, T, 3, B): a, b and sum bits, feature-major
        self._start_state: dict | None = None
        self._used = 0

    def _draw(self) -> None:
        self._start_state = self.rng.bit_generator.state
        K, B = self.block_steps, self.batch
        ab = self.rng.integers(0, self._high, size=(K, 2, B), dtype=np.uint64, endpoint=False)
        operands = np.concatenate([ab, ab.sum(axis=1, keepdims=True)], axis=1)  # (K, 3, B): a, b, a + b
        self._block = _bits(operands, self.bits).transpose(0, 3, 1, 2).astype(self.dtype)  # (K, T, 3, B)
        self._used = 0

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """The next step's inputs ``x`` (T, B, 2) and targets ``y`` (T, B, 1)."""
        if self._block is None or self._used == self.block_steps:
            self._draw()
        step = self._block[self._used].transpose(0, 2, 1)  # (T, B, 3), a view
        self._used += 1
        return step[..., :2], step[..., 2:]

    def position(self) -> dict:
        """What :meth:`seek` needs to continue exactly from here: ``state`` (the generator's
        state before the current block, or now if no block was drawn) and ``used`` (steps
        of that block handed out)."""
        if self._block is None:
            return {"state": self.rng.bit_generator.state, "used": 0}
        return {"state": self._start_state, "used": self._used}

    def seek(self, position: dict) -> None:
        """Continue from a :meth:`position`: the generator goes back to its state and the
        block is drawn again, so the next batches are those that followed when it was taken."""
        self.rng.bit_generator.state = position["state"]
        self._block = None
        used = int(position["used"])
        if used:
            self._draw()
            self._used = used
