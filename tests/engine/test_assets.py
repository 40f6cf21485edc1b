"""The models shipped in assets/: they load, and do what their README says."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine import checkpoint, data

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_the_example_rnn_loads_and_adds_every_8_bit_pair_right():
    model = checkpoint.load(ASSETS / "models" / "rnn_8bit.npz")
    assert (model.config.cell, model.config.bits) == ("rnn", 8)
    a, b = np.meshgrid(np.arange(256), np.arange(256))
    fits = (a + b) <= 255
    a, b = a[fits], b[fits]  # all 32,896 sums that fit in 8 bits, top bits included
    batch = data.make_batch(a, b, 8)
    pred = model.predict(batch.x) >= 0.5
    wrong = ~(pred == (batch.y[..., 0] >= 0.5)).all(axis=1)
    assert len(a) == 32_896 and not wrong.any(), list(zip(a[wrong][:5], b[wrong][:5], strict=True))
