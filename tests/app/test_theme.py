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
    assert fig.layout.margin.to_plotly_json() == theme.MARGIN


def test_layout_lets_a_figure_override_the_defaults():
    look = theme.layout("t", "rev", 300, margin={**theme.MARGIN, "t": 5}, hovermode="closest")
    assert look["height"] == 300 and look["uirevision"] == "rev" and look["hovermode"] == "closest"
    assert look["margin"]["t"] == 5 and look["margin"]["l"] == theme.MARGIN["l"]
