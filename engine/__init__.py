"""RNN Addition Lab's engine: pure NumPy recurrent networks that learn binary addition.

Depends on NumPy and the standard library only (never on the UI libraries).
"""

from engine import _runtime  # noqa: F401  (first: process settings for speed, see its docstring)
from engine.config import PRESETS, Config, preset
from engine.model import SequenceModel, Trace
from engine.train import Trainer, evaluate

__all__ = ["PRESETS", "Config", "SequenceModel", "Trace", "Trainer", "evaluate", "preset"]
