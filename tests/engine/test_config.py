"""Config: the classic algorithm's fixed settings are checked, not silently ignored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import CLASSIC_FIXED, PRESETS, Config

CLASSIC = PRESETS["classic"]
# A value other than the classic loop's for every field it fixes.
OTHER = {
    "cell": "gru", "layers": 2, "activation": "tanh", "bias": True, "init": "xavier", "batch": 64,
    "optimizer": "adam", "loss": "bce", "clip": 1.0, "keep_prob": 0.5, "dtype": "float32",
}


def test_the_classic_preset_has_every_fixed_value():
    assert set(OTHER) == set(CLASSIC_FIXED)
    assert all(getattr(CLASSIC, name) == value for name, value in CLASSIC_FIXED.items())
    assert CLASSIC.validate() is CLASSIC


@pytest.mark.parametrize("name", sorted(CLASSIC_FIXED))
def test_validate_rejects_each_field_the_classic_loop_fixes(name):
    fixed = CLASSIC_FIXED[name]
    shown = str(fixed).lower() if isinstance(fixed, bool) else str(fixed)
    with pytest.raises(ValueError, match="classic") as err:
        CLASSIC.replace(**{name: OTHER[name]})
    assert f"{name} {shown} (got " in str(err.value)
    # The batched trainer takes the same value.
    assert CLASSIC.replace(algorithm="batched", **{name: OTHER[name]}).algorithm == "batched"


def test_validate_names_every_wrong_field_at_once():
    with pytest.raises(ValueError) as err:
        Config(algorithm="classic", activation="relu").validate()
    message = str(err.value)
    for name in ("activation", "bias", "init", "batch", "optimizer", "loss"):
        assert name in message
    assert "cell" not in message and "dtype" not in message  # those already match


def test_normalised_sets_the_fixed_fields_and_keeps_the_rest():
    config = Config(algorithm="classic", lr=0.1, hidden=8, bits=6, steps=500, seed=3, **OTHER)
    fixed = config.normalised()
    assert fixed.validate() is fixed
    assert {name: getattr(fixed, name) for name in CLASSIC_FIXED} == CLASSIC_FIXED
    assert (fixed.lr, fixed.hidden, fixed.bits, fixed.steps, fixed.seed) == (0.1, 8, 6, 500, 3)
    assert CLASSIC.normalised() == CLASSIC


def test_normalised_leaves_a_batched_config_alone():
    config = Config(activation="tanh", batch=32)
    assert config.normalised() is config


def test_cli_refuses_a_setting_the_classic_loop_ignores():
    args = ["train", "--preset", "classic", "--activation", "tanh", "--steps", "10"]
    done = subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "activation sigmoid (got tanh)" in done.stderr and "classic" in done.stderr
