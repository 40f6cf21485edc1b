"""Save and load a model with its configuration as one ``.npz`` file.

The file holds the parameters (``param/<name>``), the configuration as JSON
text, a format marker and a SHA-256 digest of the parameters. Loading treats
the file as untrusted (see :mod:`engine.untrusted`): it is size-limited, never
unpickled, its JSON is bounded in size, depth and number length, and every
array header (shape and dtype) is checked against the architecture the
configuration describes before any array data is read; weights must be
finite after the cast to the model's precision. Any problem raises
:class:`CheckpointError` with a message for a person, never an exception from
NumPy's or zipfile's internals.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from typing import BinaryIO

import numpy as np

from engine.config import Config
from engine.model import CELLS, N_IN, N_OUT, SequenceModel
from engine.untrusted import READ_ERRORS, BadFile, NpzReader, parse_json

FORMAT = "rnn-addition-lab/model/1"
MAX_BYTES = 10 * 1024 * 1024  # a 4-layer, 512-unit LSTM is ~33 MB; the app's models are far smaller
MAX_MEMBERS = 64
MAX_CONFIG_CHARS = 4096  # a configuration's JSON is ~400 characters, one level deep
MAX_META_CHARS, MAX_META_DEPTH = 65536, 8  # metadata: a few step counts
PARAM = "param/"
ENTRIES = ("format", "config", "meta", "sha256")


class CheckpointError(ValueError):
    """A model file could not be used; the message says why."""


def _digest(params: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(params):
        a = np.ascontiguousarray(params[name], dtype=np.float64)
        h.update(name.encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def to_bytes(model: SequenceModel, meta: dict | None = None) -> bytes:
    """The ``.npz`` file of ``model`` as bytes (for downloads)."""
    arrays = {f"param/{k}": np.asarray(v) for k, v in model.params.items()}  # in the model's dtype
    arrays["format"] = np.array(FORMAT)
    arrays["config"] = np.array(model.config.to_json())
    arrays["meta"] = np.array(json.dumps(meta or {}))
    arrays["sha256"] = np.array(_digest(model.params))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def save(target: str | os.PathLike | BinaryIO, model: SequenceModel, meta: dict | None = None) -> None:
    """Write ``model`` (weights and config) to a path or a binary file object."""
    data = to_bytes(model, meta)
    if hasattr(target, "write"):
        target.write(data)
    else:
        with open(target, "wb") as f:
            f.write(data)


def _read_source(source, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
    else:
        try:
            size = os.path.getsize(source)
            if size > max_bytes:
                raise CheckpointError(f"the file is {size / 1e6:.1f} MB; model files may be at most "
                                      f"{max_bytes / 1e6:.0f} MB")
            with open(source, "rb") as f:
                data = f.read()
        except OSError as e:
            raise CheckpointError(f"could not read the file: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise CheckpointError(f"the file is larger than {max_bytes / 1e6:.0f} MB, the limit for model files")
    if not data:
        raise CheckpointError("the file is empty")
    return data


def param_shapes(config: Config) -> dict[str, tuple[int, ...]]:
    """The name and shape of every parameter of ``config``'s architecture (no weights are drawn)."""
    H = config.hidden
    cells = [CELLS[config.cell](N_IN if l == 0 else H, H, activation=config.activation, bias=config.bias,
                                init=config.init, forget_bias=config.forget_bias)
             for l in range(config.layers)]
    shapes = {f"L{l + 1}.{k}": s for l, cell in enumerate(cells) for k, s in cell.param_shapes().items()}
    shapes["Why"] = (H, N_OUT)
    if config.bias:
        shapes["by"] = (N_OUT,)
    return shapes


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(f"{n:,}" for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _text(reader: NpzReader, key: str, max_chars: int) -> str:
    head = reader.headers.get(key)
    if head is None:
        raise CheckpointError(f"this is not an RNN Addition Lab model file (it has no '{key}' entry)")
    if head.dtype.kind != "U" or head.shape != ():
        raise CheckpointError(f"the '{key}' entry is not text")
    if head.dtype.itemsize // 4 > max_chars:
        raise CheckpointError(f"the '{key}' entry is {head.dtype.itemsize // 4:,} characters long "
                              f"(at most {max_chars:,})")
    a = reader.read(key)
    try:  # decoded here: NumPy would fail on code points beyond Unicode with a SystemError
        return a.tobytes().decode("utf-32-be" if a.dtype.byteorder == ">" else "utf-32-le").rstrip("\0")
    except UnicodeError:
        raise CheckpointError(f"the '{key}' entry is not valid text") from None


def _weights(reader: NpzReader, config: Config) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(the parameters as stored, the same cast to the model's dtype), every header checked first."""
    want = param_shapes(config)
    have = {k[len(PARAM):]: h for k, h in reader.headers.items() if k.startswith(PARAM)}
    missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
    if missing or extra:
        raise CheckpointError(
            f"the weights do not fit the stored configuration ({config.cell}, {config.layers} x "
            f"{config.hidden} units): missing {missing or 'none'}, unexpected {extra or 'none'}")
    for name, shape in want.items():
        head = have[name]
        if head.dtype.kind != "f" or head.dtype.itemsize > 8:
            raise CheckpointError(f"parameter {name} holds {head.dtype} values; weights must be floats "
                                  "(float16, float32 or float64)")
        if head.shape != shape:
            raise CheckpointError(f"the weights do not fit the stored configuration: parameter {name} is "
                                  f"declared with shape {_shape(head.shape)}, the configuration needs "
                                  f"{_shape(shape)}")
    stored, cast = {}, {}
    dtype = np.dtype(config.dtype)
    for name in want:
        a = reader.read(PARAM + name)
        if not np.isfinite(a).all():
            raise CheckpointError(f"parameter {name} contains NaN or infinite values")
        with np.errstate(over="ignore"):
            c = a.astype(dtype)
        if not np.isfinite(c).all():
            raise CheckpointError(f"parameter {name} holds values too large for {config.dtype} "
                                  f"(largest {float(np.max(np.abs(a))):.3g}), the model's precision")
        stored[name], cast[name] = a, c
    return stored, cast


def load_with_meta(source, max_bytes: int = MAX_BYTES) -> tuple[SequenceModel, dict]:
    """Load a model and the metadata saved with it; see :func:`load`."""
    data = _read_source(source, max_bytes)
    try:
        reader = NpzReader(data, MAX_MEMBERS, 4 * max_bytes)
        fmt = _text(reader, "format", 200)
        if fmt != FORMAT:
            raise CheckpointError(f"unsupported model file format {fmt[:60]!r} "
                                  f"(this version reads {FORMAT!r})")
        for key in reader.headers:
            if key not in ENTRIES and not key.startswith(PARAM):
                raise CheckpointError(f"unexpected entry {key!r} in the model file")
        try:
            config = Config.from_dict(parse_json(_text(reader, "config", MAX_CONFIG_CHARS),
                                                 "the stored configuration", MAX_CONFIG_CHARS, 2))
        except (BadFile, ValueError, TypeError) as e:
            raise CheckpointError(f"the stored configuration is invalid: {e}") from None
        meta = {}
        if "meta" in reader.headers:
            meta = parse_json(_text(reader, "meta", MAX_META_CHARS), "the stored metadata", MAX_META_CHARS,
                              MAX_META_DEPTH)
            if not isinstance(meta, dict):
                raise CheckpointError("the stored metadata is not a JSON object")
        stored, params = _weights(reader, config)
        digest = _text(reader, "sha256", 200)
    except CheckpointError:
        raise
    except BadFile as e:
        raise CheckpointError(str(e)) from None
    except READ_ERRORS as e:  # a case the checks above did not foresee: still a refusal, never a crash
        raise CheckpointError(f"the file is damaged ({type(e).__name__}: {e})") from None
    if digest != _digest(stored):
        raise CheckpointError("the weights' checksum does not match: the file was changed after it was saved")
    try:
        model = SequenceModel(config, params=params)
    except ValueError as e:
        raise CheckpointError(f"the weights do not fit the stored configuration: {e}") from None
    return model, meta


def load(source, max_bytes: int = MAX_BYTES) -> SequenceModel:
    """Load a model saved by :func:`save`.

    Parameters
    ----------
    source : path, binary file object (e.g. an upload) or bytes
    max_bytes : refuse larger files

    Raises
    ------
    CheckpointError
        For a file that is too large, not an ``.npz``, cut short, foreign,
        tampered with, or whose arrays do not fit its configuration.
    """
    return load_with_meta(source, max_bytes)[0]
