"""Typed sums: reading the two operands a person typed, and writing numbers in binary."""

from __future__ import annotations

from engine.analysis.explain import hard_cases, parse_operand


def fmt_bits(n: int, bits: int, group: int | None = 4) -> str:
    """``n`` in binary, most significant bit first, in groups of ``group`` (``0111 1111``; None: one run)."""
    s = format(int(n), f"0{bits}b")
    if not group:
        return s
    head = len(s) % group
    groups = ([s[:head]] if head else []) + [s[i:i + group] for i in range(head, len(s), group)]
    return " ".join(groups)


def default_sum(bits: int) -> tuple[int, int]:
    """The sum shown first at ``bits`` bits: the carry ripples through every bit ((2^(bits-1) - 1) + 1)."""
    case = hard_cases(bits)[0]
    return case["a"], case["b"]


def parse_sum(a_text, b_text, bits: int) -> tuple[tuple[int, int] | None, str]:
    """The typed operands as ints, or None and a message saying what is wrong and what is allowed."""
    try:
        a = parse_operand(a_text, bits, "a")
        b = parse_operand(b_text, bits, "b")
    except ValueError as e:
        return None, str(e)
    if a + b > 2**bits - 1:
        return None, (f"{a} + {b} = {a + b} does not fit in {bits} bits (the sum must be at most "
                      f"{2**bits - 1}); pick smaller numbers or a wider width.")
    return (a, b), ""
