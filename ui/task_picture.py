"""The task in one picture: two binary numbers added column by column with their carries, one column
per time step. Shown first on the Train page, before any chart."""

from __future__ import annotations

import streamlit as st

EXAMPLE = (109, 39, 8)  # 0110 1101 + 0010 0111 = 1001 0100: carries ripple through several columns

CSS = """<style>
.task-picture {font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 1rem;
  border-collapse: collapse; margin: 0 0 0 auto;}
.task-picture td {text-align: center; padding: 0 0.28em; line-height: 1.2;}
.task-picture td.name {text-align: right; font-family: 'Source Sans Pro', sans-serif; color: #495057;
  font-size: 0.8em; padding-right: 0.6em; white-space: nowrap;}
.task-picture tr.carry td {color: #d9480f; font-size: 0.75em;}
.task-picture tr.sum td {border-top: 2px solid #343a40; font-weight: 700;}
.task-picture tr.step td {color: #868e96; font-size: 0.7em;}
.task-picture td.now {background: #fff5f5; box-shadow: inset 0 0 0 2px #e03131;}
.task-caption {font-size: 0.8rem; color: #495057; text-align: right; margin: 2px 0 0;}
</style>"""


def columns(a: int, b: int, bits: int) -> list[dict]:
    """Per bit position, least significant first: a's bit, b's bit, the carry in and the sum bit."""
    out = []
    for t in range(bits):
        low = (1 << t) - 1
        carry = ((a & low) + (b & low)) >> t & 1
        out.append({"a": a >> t & 1, "b": b >> t & 1, "carry": carry, "sum": (a + b) >> t & 1})
    return out


def picture_html(a: int, b: int, bits: int, step: int = 0) -> str:
    """The sum written as on paper (most significant bit on the left), carries above, time steps below;
    the column of ``step`` outlined."""
    cols = columns(a, b, bits)[::-1]  # as written: bit 0 on the right

    def row(cls: str, name: str, key: str, show_zero: bool = True) -> str:
        cells = "".join(
            f"<td class='{'now' if bits - 1 - i == step else ''}'>"
            f"{c[key] if (show_zero or c[key]) else ''}</td>" for i, c in enumerate(cols))
        return f"<tr class='{cls}'><td class='name'>{name}</td>{cells}</tr>"

    steps = "".join(f"<td>{bits - 1 - i}</td>" for i in range(bits))
    return (CSS + "<table class='task-picture'>" + row("carry", "carry in", "carry", show_zero=False)
            + row("", f"a = {a}", "a") + row("", f"+ b = {b}", "b") + row("sum", f"= {a + b}", "sum")
            + f"<tr class='step'><td class='name'>time step</td>{steps}</tr></table>"
            + "<p class='task-caption'>One column per time step, from the right: bit 0 first. "
              "The carry is all that passes to the next column.</p>")


def show(intro: str) -> None:
    """The page's opening text with the picture of the task beside it."""
    text, picture = st.columns([1.35, 1], vertical_alignment="center")
    text.markdown(intro)
    picture.html(picture_html(*EXAMPLE, step=-1))
