"""Reading bytes from anywhere: ``.npz`` members and JSON text, every size checked before use.

:class:`NpzReader` opens an ``.npz`` (a zip of ``.npy`` files) without
trusting anything in it: the members are counted, their declared sizes
summed, each ``.npy`` header is read on its own (a few hundred bytes) so the
caller can compare the shape and dtype it claims with what it should be
*before* any data is read, and data is read only up to the size the header
implies, so a zip bomb or a header claiming 10^11 floats costs nothing.
:func:`parse_json` bounds the size, nesting depth and number lengths of
JSON text. Every problem raises :class:`BadFile` with a message for a person.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

MAX_HEADER = 4096  # bytes of a .npy header (NumPy writes ~128)
# Everything that reading a damaged zip or .npy can raise, in the standard library or NumPy.
READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
               TypeError, KeyError, IndexError, OverflowError, NotImplementedError, RuntimeError,
               UnicodeError, SyntaxError, SystemError, MemoryError, RecursionError)


class BadFile(ValueError):
    """The bytes are not what they should be; the message says how."""


@dataclass(frozen=True)
class Header:
    """What an ``.npy`` member says it holds (nothing of its data has been read)."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran: bool
    offset: int  # bytes before the data

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _header(fp, key: str) -> Header:
    """Read the magic string and header of one ``.npy`` stream (at most :data:`MAX_HEADER` bytes)."""
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp, max_header_size=MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp, max_header_size=MAX_HEADER)
        else:
            raise BadFile(f"the entry {key!r} uses .npy version {version}, which this program does not read")
    except BadFile:
        raise
    except READ_ERRORS as e:
        raise BadFile(f"the entry {key!r} is not a NumPy array (its header is damaged: {e})") from None
    if dtype.hasobject:
        raise BadFile(f"the entry {key!r} holds pickled Python objects, which are refused for safety")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise BadFile(f"the entry {key!r} has an impossible shape {shape}")
    return Header(dtype=dtype, shape=tuple(shape), fortran=bool(fortran), offset=fp.tell())


class NpzReader:
    """The members of an ``.npz`` held in ``data``, checked as far as can be without reading them.

    Parameters
    ----------
    data : the file's bytes
    max_members : refuse archives with more members
    max_unpacked : refuse archives whose members together declare more bytes

    Attributes
    ----------
    headers : member name (without ``.npy``) -> :class:`Header`, in archive order
    """

    def __init__(self, data: bytes, max_members: int, max_unpacked: int):
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except READ_ERRORS as e:
            raise BadFile(f"this is not a model file: an .npz model is a zip archive, and this one is "
                          f"damaged or cut short ({e})") from None
        if len(infos) > max_members:
            raise BadFile(f"the file holds {len(infos)} entries; a model file holds at most {max_members}")
        declared = sum(i.file_size for i in infos)
        if declared > max_unpacked:
            raise BadFile(f"the file's entries unpack to {declared / 1e6:,.0f} MB, more than a model file "
                          f"may hold here ({max_unpacked / 1e6:,.0f} MB)")
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if not name.endswith(".npy"):
                raise BadFile(f"the entry {name!r} is not a NumPy array; a model file holds only "
                              "arrays (.npy members)")
            key = name[:-4]
            if key in self._infos:
                raise BadFile(f"the entry {key!r} appears twice")
            if info.flag_bits & 0x1:
                raise BadFile(f"the entry {key!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BadFile(f"the entry {key!r} uses a compression this program does not read "
                              f"(method {info.compress_type}; stored and deflated are read)")
            self._infos[key] = info
        self.headers = {key: self._read_header(key) for key in self._infos}

    def _read_header(self, key: str) -> Header:
        info = self._infos[key]
        try:
            with self._zip.open(info) as fp:
                head = _header(io.BytesIO(fp.read(min(info.file_size, MAX_HEADER + 16))), key)
        except BadFile:
            raise
        except READ_ERRORS as e:
            raise BadFile(f"the entry {key!r} is damaged or cut short ({e})") from None
        if head.offset + head.nbytes != info.file_size:
            raise BadFile(f"the entry {key!r} claims {head.dtype} values of shape {head.shape} "
                          f"({head.nbytes:,} bytes) but holds {max(info.file_size - head.offset, 0):,} bytes")
        return head

    def read(self, key: str) -> np.ndarray:
        """The array of member ``key``, read up to the size its header declares and checksum-checked."""
        info, head = self._infos[key], self.headers[key]
        try:
            with self._zip.open(info) as fp:
                fp.read(head.offset)
                raw = fp.read(head.nbytes)
                if len(raw) != head.nbytes or fp.read(1):  # reading to the end checks the CRC
                    raise BadFile(f"the entry {key!r} does not hold the {head.nbytes:,} bytes "
                                  "its header says")
        except BadFile:
            raise
        except READ_ERRORS as e:
            raise BadFile(f"the entry {key!r} is damaged ({e})") from None
        order = "F" if head.fortran else "C"
        return np.frombuffer(raw, dtype=head.dtype).reshape(head.shape, order=order)


# --- JSON -----------------------------------------------------------------------------------------

MAX_NUMBER_CHARS = 40  # digits (and sign, point, exponent) of one JSON number
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """How deeply JSON ``text`` nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _number(kind):
    def parse(s: str):
        if len(s) > MAX_NUMBER_CHARS:
            raise BadFile(f"a number of {len(s):,} characters (at most {MAX_NUMBER_CHARS} are read)")
        return kind(s)
    return parse


def parse_json(text: str, what: str, max_chars: int, max_depth: int):
    """``json.loads(text)`` after checking its length and nesting; numbers of bounded length.

    Raises :class:`BadFile` naming ``what`` (e.g. "the stored configuration").
    """
    if len(text) > max_chars:
        raise BadFile(f"{what} is {len(text):,} characters long (at most {max_chars:,})")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise BadFile(f"{what} nests {depth} levels deep (at most {max_depth})")
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float))
    except BadFile as e:
        raise BadFile(f"{what} holds {e}") from None
    except (ValueError, RecursionError) as e:
        raise BadFile(f"{what} is not valid JSON ({e})") from None
