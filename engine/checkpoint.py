"""Save and load a model with its configuration as one ``.npz`` file.

The file holds the parameters (``param/<name>``), the configuration as JSON
text, a format marker and a SHA-256 digest of the parameters. Loading treats
the file as untrusted: it is size-limited, read with ``allow_pickle=False``,
and every array is checked against the architecture the configuration
describes. Any problem raises :class:`CheckpointError` with a message for a
person, never an exception from NumPy's internals.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
import zlib
from typing import BinaryIO

import numpy as np

from engine.config import Config
from engine.model import SequenceModel

FORMAT = "rnn-addition-lab/model/1"
MAX_BYTES = 10 * 1024 * 1024  # a 4-layer, 512-unit LSTM is ~33 MB; the app's models are far smaller
MAX_MEMBERS = 64


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


def load_with_meta(source, max_bytes: int = MAX_BYTES) -> tuple[SequenceModel, dict]:
    """Load a model and the metadata saved with it; see :func:`load`."""
    data = _read_source(source, max_bytes)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CheckpointError("this is not a model file: an .npz model is a zip archive, "
                              "and this file is not one (or it was cut short)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise CheckpointError(f"the file holds {len(infos)} arrays; "
                                      f"a model file holds at most {MAX_MEMBERS}")
            if sum(i.file_size for i in infos) > 4 * max_bytes:
                raise CheckpointError("the file's arrays unpack to more than a model can hold")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        for key, a in arrays.items():
            if not isinstance(a, np.ndarray):  # a member that is not a .npy file comes back as raw bytes
                raise CheckpointError(f"the entry {key!r} is not a NumPy array; a model file holds only "
                                      "arrays (.npy members)")
    except CheckpointError:
        raise
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise CheckpointError(
                "the file contains pickled Python objects, which are refused for safety") from None
        raise CheckpointError(f"the file is damaged: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, KeyError) as e:
        raise CheckpointError(f"the file is damaged or cut short ({type(e).__name__}: {e})") from None

    def text(key: str) -> str:
        a = arrays.get(key)
        if a is None:
            raise CheckpointError(f"this is not an RNN Addition Lab model file (it has no '{key}' entry)")
        if a.dtype.kind != "U" or a.ndim != 0:
            raise CheckpointError(f"the '{key}' entry is not text")
        return str(a)

    fmt = text("format")
    if fmt != FORMAT:
        raise CheckpointError(f"unsupported model file format {fmt!r} (this version reads {FORMAT!r})")
    try:
        config = Config.from_json(text("config"))
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"the stored configuration is invalid: {e}") from None
    try:
        meta = json.loads(text("meta")) if "meta" in arrays else {}
    except json.JSONDecodeError:
        raise CheckpointError("the stored metadata is not valid JSON") from None

    params = {}
    for key, a in arrays.items():
        if key.startswith("param/"):
            if a.dtype.kind != "f":
                raise CheckpointError(f"parameter {key[6:]} holds {a.dtype} values; weights must be floats")
            if not np.isfinite(a).all():
                raise CheckpointError(f"parameter {key[6:]} contains NaN or infinite values")
            params[key[6:]] = a
        elif key not in ("format", "config", "meta", "sha256"):
            raise CheckpointError(f"unexpected entry {key!r} in the model file")
    try:
        model = SequenceModel(config, params=params)
    except ValueError as e:
        raise CheckpointError(f"the weights do not fit the stored configuration: {e}") from None
    if text("sha256") != _digest(params):
        raise CheckpointError("the weights' checksum does not match: the file was changed after it was saved")
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
