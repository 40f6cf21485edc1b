"""RNN Addition Lab's engine: pure NumPy recurrent networks that learn binary addition.

Depends on NumPy and the standard library only (never on the UI libraries).
The names below load on first use, so ``engine.runtime`` can set up the
process before NumPy is imported (see :func:`engine.runtime.tune_process`).
"""

import importlib

_EXPORTS = {
    "PRESETS": "engine.config", "Config": "engine.config", "preset": "engine.config",
    "SequenceModel": "engine.model", "Trace": "engine.model",
    "Trainer": "engine.train", "evaluate": "engine.train",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
