"""A corpus of hostile and broken model files, each with the refusal it must get.

``CORPUS`` maps a name to ``(make, match)``: ``make()`` returns the file's
bytes and ``match`` is a regular expression the :class:`CheckpointError`
message must contain. The files are built by hand (raw ``.npy`` headers, zip
fields patched in place) so they lie in ways NumPy itself never writes.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile

import numpy as np

from engine.checkpoint import _digest, to_bytes
from engine.config import Config
from engine.model import SequenceModel

SMALL = Config(hidden=2, bits=4)


def npy(header: dict, data: bytes = b"", version=(1, 0)) -> bytes:
    """A ``.npy`` file with exactly this header (whatever it claims) and these data bytes."""
    buf = io.BytesIO()
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buf, header)
    else:
        np.lib.format.write_array_header_2_0(buf, header)
    return buf.getvalue() + data


def array_npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


def zip_of(members: dict[str, bytes], compress: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def genuine_arrays(config: Config = SMALL) -> dict[str, np.ndarray]:
    """The arrays of a real model file (name without ``.npy`` -> array)."""
    with np.load(io.BytesIO(to_bytes(SequenceModel(config)))) as npz:
        return {k: npz[k] for k in npz.files}


def model_file(change: dict | None = None, raw: dict | None = None, drop=(), config: Config = SMALL,
               rehash: bool = True, compress: int = zipfile.ZIP_STORED) -> bytes:
    """A model file with arrays changed, raw ``.npy`` members put in, entries dropped.

    With ``rehash`` the checksum is recomputed from the (changed) weights, so the
    file gets past the checksum and the problem under test is the one refused.
    """
    arrays = genuine_arrays(config)
    arrays.update(change or {})
    for k in drop:
        arrays.pop(k, None)
    if rehash:
        params = {k[6:]: v for k, v in arrays.items() if k.startswith("param/") and v.dtype.kind == "f"}
        arrays["sha256"] = np.array(_digest(params))
    members = {f"{k}.npy": array_npy(v) for k, v in arrays.items()}
    members.update(raw or {})
    return zip_of(members, compress)


def with_config(**fields) -> bytes:
    d = json.loads(SMALL.to_json())
    d.update(fields)
    return model_file({"config": np.array(json.dumps(d))})


def text_of(json_text: str, key: str) -> bytes:
    return model_file({key: np.array(json_text)})


def patch_members(data: bytes, **fields) -> bytes:
    """Overwrite fields of every member's local and central zip header (``flags``, ``method``, ``size``)."""
    out = bytearray(data)
    offsets = {"flags": (6, 8, "<H"), "method": (8, 10, "<H"), "size": (22, 24, "<I")}  # local, central
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    central = data.find(b"PK\x01\x02")
    for info in infos:
        for name, value in fields.items():
            local_at, central_at, fmt = offsets[name]
            struct.pack_into(fmt, out, info.header_offset + local_at, value)
            struct.pack_into(fmt, out, central + central_at, value)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def zip_bomb(declared_honestly: bool) -> bytes:
    """A deflated member of ~48 MB of zeros in a file of ~50 KB, its size declared or hidden."""
    big = npy({"descr": "<f8", "fortran_order": False, "shape": (6_000_000,)}, bytes(48_000_000))
    data = zip_of({"param/Why.npy": big}, zipfile.ZIP_DEFLATED)
    return data if declared_honestly else patch_members(data, size=200)


DIGITS = "9" * 999


def deep(n: int) -> str:
    return "[" * n + "]" * n


CORPUS = {
    # pickles
    "a raw pickle": (lambda: pickle.dumps({"weights": [1, 2, 3]}), "not a model file"),
    "an object array (pickled)": (lambda: model_file({"param/Why": np.array([{"evil": 1}], dtype=object)},
                                                     rehash=False), "pickled"),
    "an object header without data": (lambda: model_file(raw={"param/Why.npy": npy(
        {"descr": "|O", "fortran_order": False, "shape": (2, 1)})}), "pickled"),
    # zip bombs
    "a zip bomb with honest sizes": (lambda: zip_bomb(True), r"unpack to 48 MB"),
    "a zip bomb with a lying size": (lambda: zip_bomb(False), "Why.*(claims|damaged)"),
    "65 entries": (lambda: zip_of({f"x{i}.npy": array_npy(np.zeros(1)) for i in range(65)}), "at most 64"),
    # lying headers
    "a 260-byte file claiming 10^11 floats": (lambda: zip_of({"param/Why.npy": npy(
        {"descr": "<f8", "fortran_order": False, "shape": (10**11,)})}),
        r"claims float64 values of shape \(100000000000,\) \(800,000,000,000 bytes\) but holds 0 bytes"),
    "a header claiming more data than follows": (lambda: model_file(raw={"param/Why.npy": npy(
        {"descr": "<f8", "fortran_order": False, "shape": (2, 1)}, bytes(8))}), "claims.*holds 8 bytes"),
    "a shape the configuration does not have": (lambda: model_file({"param/Why": np.zeros((3, 1))}),
                                                r"Why is declared with shape \(3, 1\).*needs \(2, 1\)"),
    "a missing weight": (lambda: model_file(drop=("param/L1.Whh",)), r"missing \['L1.Whh'\]"),
    "a weight too many": (lambda: model_file({"param/L2.Wxh": np.zeros((2, 2))}), r"unexpected \['L2.Wxh'\]"),
    "a header of 5,000 bytes": (lambda: model_file(raw={"param/Why.npy": npy(
        {"descr": "<f8", "fortran_order": False, "shape": (2, 1), "pad": "x" * 5000}, bytes(16),
        version=(2, 0))}), "header is damaged"),
    "a header that is not a dict": (lambda: model_file(raw={"param/Why.npy": b"\x93NUMPY\x01\x00\x08\x00"
                                                             b"[1, 2] \n"}), "header is damaged"),
    ".npy version 3": (lambda: model_file(raw={"param/Why.npy": b"\x93NUMPY\x03\x00" + bytes(8)}),
                       "version"),
    "a member that is not .npy": (lambda: model_file(raw={"notes.txt": b"hello"}),
                                  "'notes.txt' is not a NumPy"),
    "a member twice": (lambda: _twice(), "appears twice"),
    "an encrypted member": (lambda: patch_members(model_file(), flags=1), "encrypted"),
    "an unknown compression method": (lambda: patch_members(model_file(), method=99), "compression"),
    "an empty zip": (lambda: zip_of({}), "no 'format' entry"),
    # JSON
    "a configuration nested 1,000 deep": (lambda: text_of(deep(1000), "config"), "nests 1000 levels deep"),
    "metadata nested 30,000 deep": (lambda: text_of(deep(30000), "meta"), "nests 30000 levels deep"),
    "a configuration of 100,000 characters": (lambda: text_of(" " * 100_000, "config"),
                                              "100,000 characters long"),
    "a 999-digit hidden size": (lambda: text_of(SMALL.to_json().replace('"hidden": 2', '"hidden": ' + DIGITS),
                                                "config"), "a number of 999 characters"),
    "a 5,000-digit step in the metadata": (lambda: text_of('{"step": ' + "9" * 5000 + "}", "meta"),
                                           "a number of 5,000 characters"),
    "an infinite learning rate": (lambda: with_config(lr=float("inf")), "lr must be a number"),
    "metadata that is a list": (lambda: text_of("[1, 2]", "meta"), "not a JSON object"),
    "a configuration with an unknown field": (lambda: with_config(evil=1), "unknown configuration field"),
    # dtypes and values
    "integer weights": (lambda: model_file({"param/Why": np.zeros((2, 1), np.int64)}), "must be floats"),
    "complex weights": (lambda: model_file({"param/Why": np.zeros((2, 1), np.complex128)}), "must be floats"),
    "long-double weights": (lambda: model_file({"param/Why": np.zeros((2, 1), np.longdouble)}),
                            "must be floats"),
    "a NaN weight": (lambda: model_file({"param/Why": np.array([[np.nan], [0.0]])}), "NaN or infinite"),
    "1e39 in a float32 model": (lambda: model_file({"param/Why": np.array([[1e39], [0.0]])},
                                                   config=SMALL.replace(dtype="float32")),
                                "too large for float32"),
    "a configuration stored as bytes": (lambda: model_file({"config": np.array(b"{}")}),
                                        "'config' entry is not text"),
    "a configuration that is a list of texts": (lambda: model_file({"config": np.array(["{}"])}), "not text"),
    "text that is not unicode": (lambda: model_file(raw={"format.npy": npy(
        {"descr": "<U1", "fortran_order": False, "shape": ()}, struct.pack("<I", 0x110000))}),
        "not valid text"),
    "a changed weight": (lambda: model_file({"param/Why": np.array([[0.5], [0.25]])}, rehash=False),
                         "checksum"),
}


def _twice() -> bytes:
    import warnings

    members = {k: array_npy(v) for k, v in genuine_arrays().items()}
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")
        for name, raw in members.items():
            zf.writestr(f"{name}.npy", raw)
        zf.writestr("param/Why.npy", array_npy(np.zeros((2, 1))))
    return buf.getvalue()
