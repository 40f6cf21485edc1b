"""Every page draws with the one look in ui.theme."""

from __future__ import annotations

import numpy as np
import pytest

from pages.gradients import figures as gradients
from pages.train import figures as train
from pages.unrolled import figures as unrolled
from pages.xor import figures as xor
from ui import theme

FIGURES = {
    "train": lambda: train.loss_figure(np.arange(1, 11), np.linspace(1, 0.1, 10)),
    "unrolled": lambda: unrolled.correlation_figure(np.array([0.5, -0.2, 0.9]), [2, 0, 1], [2]),
    "gradients": lambda: gradients.delta_heatmap(np.ones((3, 4)), "dL/dh"),
    "xor": lambda: xor.loss_figure(np.linspace(1, 0.1, 10), "cross-entropy"),
}


@pytest.mark.parametrize("page", FIGURES)
def test_each_pages_figures_take_the_shared_look(page):
    fig = FIGURES[page]()
    assert fig.layout.font.size == theme.FONT
    assert fig.layout.title.font.size == theme.FONT + 2
    assert fig.layout.title.x == 0.0
    margin = fig.layout.margin.to_plotly_json()
    assert {k: margin[k] for k in "lrb"} == {k: theme.MARGIN[k] for k in "lrb"}
    assert margin["t"] in (theme.MARGIN["t"], theme.LEGEND_TOP)  # a legend gets a row of its own


def _font_sizes(obj, inside_font=False):
    """Every font size set anywhere in a figure's JSON."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "size" and inside_font and isinstance(v, (int, float)):
                yield v
            else:
                yield from _font_sizes(v, k.endswith("font"))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _font_sizes(v, inside_font)


@pytest.fixture
def presenting():
    theme.presenting(True)
    yield
    theme.presenting(False)


@pytest.mark.parametrize("page", FIGURES)
def test_presentation_mode_draws_every_chart_text_at_18px_or_more(page, presenting):
    fig = FIGURES[page]().to_plotly_json()
    sizes = list(_font_sizes(fig))
    assert fig["layout"]["font"]["size"] >= theme.PRESENT_FONT  # what ticks and labels inherit
    assert sizes and min(sizes) >= theme.PRESENT_FONT, sizes
    assert fig["layout"]["title"]["font"]["size"] > fig["layout"]["font"]["size"]  # scaled alike


def test_presentation_mode_raises_the_unrolled_grids_text_too(presenting):
    from engine import Config
    from engine.analysis.explain import unroll_sum
    from engine.model import SequenceModel
    model = SequenceModel(Config(hidden=4, bits=8))
    u = unroll_sum(model, 127, 1, 8)
    fig = unrolled.unrolled_figure(u.a_bits, u.b_bits, u.carry_in, u.layers[0].h, u.prob, u.pred, u.sum_bits,
                                   u.carry_out, u.wrong, step=0).to_plotly_json()
    sizes = list(_font_sizes(fig))
    assert min(sizes) >= theme.PRESENT_FONT, sizes


def test_presentation_mode_is_off_by_default_and_leaves_the_plain_look():
    assert not theme.presenting()
    assert min(_font_sizes(FIGURES["unrolled"]().to_plotly_json())) < theme.PRESENT_FONT


def test_layout_lets_a_figure_override_the_defaults():
    look = theme.layout("t", "rev", 300, margin={**theme.MARGIN, "t": 5}, hovermode="closest")
    assert look["height"] == 300 and look["uirevision"] == "rev" and look["hovermode"] == "closest"
    assert look["margin"]["t"] == 5 and look["margin"]["l"] == theme.MARGIN["l"]
