"""Binary addition data: bit encoding, random batches, evaluation sets.

Numbers are written least significant bit first, one bit per time step, the
order in which a person (and the network) adds them. Integers are held as
``uint64`` so every width from 1 to 64 bits is exact; a pair whose sum would
not fit in the width is refused rather than silently wrapped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

MIN_BITS, MAX_BITS = 1, 64


def check_bits(bits: int) -> int:
    """Validate a bit width and return it as an ``int``."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)):
        raise ValueError(f"bits must be a whole number from {MIN_BITS} to {MAX_BITS}, got {bits!r}")
    if not MIN_BITS <= bits <= MAX_BITS:
        raise ValueError(f"bits must be from {MIN_BITS} to {MAX_BITS}, got {bits}")
    return int(bits)


def _as_uint64(n, bits: int, what: str = "number") -> np.ndarray:
    """Convert ints (or an array of them) to ``uint64``, refusing negatives and overflow."""
    if isinstance(n, np.ndarray) and n.dtype == np.uint64:
        arr = n
    elif isinstance(n, np.ndarray) and n.dtype.kind in "iu":
        if n.size and int(n.min()) < 0:
            raise ValueError(f"{what} must not be negative, got {int(n.min())}")
        arr = n.astype(np.uint64)
    else:
        # object dtype keeps arbitrary Python ints exact while we check them
        obj = np.asarray(n, dtype=object)
        flat = obj.ravel()
        for v in flat:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"{what} must be a whole number, got {v!r}")
            if v < 0:
                raise ValueError(f"{what} must not be negative, got {v}")
        arr = obj.astype(np.uint64) if all(int(v) < 2**64 for v in flat) else None
        if arr is None:
            raise ValueError(f"{what} does not fit in {bits} bits (at most {2**bits - 1})")
    if bits < 64 and arr.size and int(arr.max()) >= 2**bits:
        raise ValueError(f"{what} {int(arr.max())} does not fit in {bits} bits (at most {2**bits - 1})")
    return arr


TABLE_BITS = 16  # widths up to this read bits from a table (1 MB at 16 bits)


@functools.cache
def _bit_table(bits: int) -> np.ndarray:
    """(2**bits, bits) uint8: row n holds the bits of n, least significant first."""
    return _shift_bits(np.arange(2**bits, dtype=np.uint64), bits)


def _shift_bits(arr: np.ndarray, bits: int) -> np.ndarray:
    """(..., bits) uint8 bits of ``uint64`` values, least significant first, by shifting."""
    shifts = np.arange(bits, dtype=np.uint64)
    return ((arr[..., None] >> shifts) & np.uint64(1)).astype(np.uint8)


def _bits(arr: np.ndarray, bits: int) -> np.ndarray:
    """(..., bits) uint8 bits of ``uint64`` values below ``2**bits``, least significant first.

    Widths up to :data:`TABLE_BITS` read a cached table: one lookup instead of
    shifting every bit out (the training step's hot path).
    """
    return _bit_table(bits)[arr] if bits <= TABLE_BITS else _shift_bits(arr, bits)


def int_to_bits(n, bits: int) -> np.ndarray:
    """Bits of ``n`` least significant first.

    Parameters
    ----------
    n : int or array-like of int, shape (...)
        Non-negative integers below ``2**bits``.
    bits : int
        Width from 1 to 64.

    Returns
    -------
    ndarray of uint8, shape (..., bits)
    """
    bits = check_bits(bits)
    return _bits(_as_uint64(n, bits), bits)


def bits_to_int(b) -> np.ndarray:
    """Inverse of :func:`int_to_bits`: ``(..., T)`` bits (LSB first) to ``uint64``.

    Values are rounded, so probabilities can be passed directly.
    """
    b = np.asarray(b)
    width = b.shape[-1]
    check_bits(width)
    ones = np.rint(b).astype(np.uint64)
    if ones.size and int(ones.max()) > 1:
        raise ValueError("bits must be 0 or 1")
    return (ones << np.arange(width, dtype=np.uint64)).sum(axis=-1, dtype=np.uint64)


@dataclass(frozen=True)
class AdditionBatch:
    """A batch of sums ``a + b`` laid out for a sequence model.

    Attributes
    ----------
    a, b : ndarray of uint64, shape (B,)
        The operands.
    x : ndarray of float64, shape (B, T, 2)
        Input bits of ``a`` and ``b``, least significant first.
    y : ndarray of float64, shape (B, T, 1)
        Target bits of the sum.
    carry_in, carry_out : ndarray of uint8, shape (B, T)
        The true carry entering and leaving each position.
    """

    a: np.ndarray
    b: np.ndarray
    x: np.ndarray
    y: np.ndarray
    carry_in: np.ndarray
    carry_out: np.ndarray

    @property
    def bits(self) -> int:
        return self.x.shape[1]

    @property
    def sum(self) -> np.ndarray:
        return self.a + self.b

    def __len__(self) -> int:
        return self.a.shape[0]


def make_batch(a, b, bits: int) -> AdditionBatch:
    """Lay out the given sums; refuses pairs whose sum needs more than ``bits`` bits."""
    bits = check_bits(bits)
    a = np.atleast_1d(_as_uint64(a, bits, "a"))
    b = np.atleast_1d(_as_uint64(b, bits, "b"))
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be equally long lists, got shapes {a.shape} and {b.shape}")
    # a + b wraps in uint64; a sum that wrapped is smaller than either operand.
    s = a + b
    limit = None if bits == 64 else np.uint64(2**bits)
    too_big = (s < a) if limit is None else ((s < a) | (s >= limit))
    if too_big.any():
        i = int(np.argmax(too_big))
        raise ValueError(
            f"{int(a[i])} + {int(b[i])} = {int(a[i]) + int(b[i])} does not fit in {bits} bits "
            f"(the sum must be at most {2**bits - 1})"
        )
    return _layout(a, b, s, bits)


def _layout(a: np.ndarray, b: np.ndarray, s: np.ndarray, bits: int) -> AdditionBatch:
    """Build the batch from checked ``uint64`` operands and their sum (no validation: hot path)."""
    a_bits, b_bits, s_bits = _bits(np.stack([a, b, s]), bits)  # (3, B, T)
    # The sum is a XOR b XOR carries, so the carries are recovered exactly.
    carry_in = a_bits ^ b_bits ^ s_bits
    carry_out = np.zeros_like(carry_in)
    carry_out[:, :-1] = carry_in[:, 1:]  # the sum fits, so nothing carries out of the top bit
    x = np.stack([a_bits, b_bits], axis=-1).astype(np.float64)
    y = s_bits[..., None].astype(np.float64)
    return AdditionBatch(a, b, x, y, carry_in, carry_out)


def operand_limit(bits: int) -> int:
    """Operands are drawn below this (``2**(bits-1)``) so every sum fits, as in the tutorial."""
    return 2 ** (check_bits(bits) - 1)


def _random_operands(rng: np.random.Generator, batch: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    high = operand_limit(bits)
    a = rng.integers(0, high, size=batch, dtype=np.uint64, endpoint=False)
    b = rng.integers(0, high, size=batch, dtype=np.uint64, endpoint=False)
    return a, b


def random_batch(rng: np.random.Generator, batch: int, bits: int) -> AdditionBatch:
    """``batch`` random sums with both operands below ``2**(bits-1)``."""
    a, b = _random_operands(rng, batch, bits)
    return _layout(a, b, a + b, bits)  # both below 2**(bits-1): the sum always fits


def random_xy(rng: np.random.Generator, batch: int, bits: int,
              dtype: np.dtype = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The inputs and targets of :func:`random_batch` (same draws), time-major, nothing else.

    Returns ``x`` (T, B, 2) and ``y`` (T, B, 1) in ``dtype``: what a training step
    needs, without the carries and operands the UI reads (the trainer's hot path).
    """
    a, b = _random_operands(rng, batch, bits)
    tm = _bits(np.stack([a, b, a + b]), bits).transpose(2, 1, 0).astype(dtype)  # (T, B, 3): a, b and sum bits
    return tm[..., :2], tm[..., 2:]


def exhaustive_pairs(bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of operands below ``2**(bits-1)`` (128 x 128 = 16384 pairs at 8 bits)."""
    n = operand_limit(bits)
    a, b = np.meshgrid(np.arange(n, dtype=np.uint64), np.arange(n, dtype=np.uint64), indexing="ij")
    return a.ravel(), b.ravel()


def eval_set(bits: int, max_pairs: int = 16384, seed: int = 1234) -> AdditionBatch:
    """The evaluation set: every pair when there are at most ``max_pairs``, else a fixed sample."""
    bits = check_bits(bits)
    n = operand_limit(bits)
    if n * n <= max_pairs:
        return make_batch(*exhaustive_pairs(bits), bits)
    a, b = distinct_pairs(np.random.default_rng(seed), max_pairs, bits)
    return _layout(a, b, a + b, bits)  # both below 2**(bits-1): the sum always fits


def distinct_pairs(rng: np.random.Generator, count: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` different random pairs of operands below ``2**(bits-1)``, in the order drawn.

    Draws, drops repeated ``(a, b)`` pairs and draws again for the shortfall, so
    the result depends only on ``rng``'s state. Needs ``count`` at most the
    number of pairs there are.
    """
    high = operand_limit(bits)
    if not 0 <= count <= high * high:
        raise ValueError(f"cannot draw {count} different pairs at {bits} bits (there are {high * high})")
    pairs = np.empty((0, 2), dtype=np.uint64)
    while len(pairs) < count:
        more = rng.integers(0, high, size=(count - len(pairs), 2), dtype=np.uint64, endpoint=False)
        pairs = np.concatenate([pairs, more])
        _, first = np.unique(pairs, axis=0, return_index=True)
        pairs = pairs[np.sort(first)]  # the first draw of every pair, in draw order
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def is_exhaustive(bits: int, max_pairs: int = 16384) -> bool:
    """Whether :func:`eval_set` covers every pair at this width."""
    return operand_limit(bits) ** 2 <= max_pairs
