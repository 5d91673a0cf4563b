"""Plain data across the sandbox boundary: a format that cannot carry code or objects.

Values that cross between the trusted judge and the sandbox (the inputs of the graded
calls, and what the student's functions returned) are encoded as a JSON tree plus a
list of ``.npy`` blobs, never pickled. What can be expressed:

* ``None``, ``bool``, ``int``, ``float`` (NaN and infinities included), ``str``;
* NumPy arrays of exactly type ``numpy.ndarray`` with a bool, integer or float dtype,
  and NumPy scalars of those dtypes;
* tuples, lists and dicts (``str`` or ``int`` keys) of the above.

Anything else (an ndarray subclass, an object with its own ``__eq__`` or ``__array__``,
a generator, a complex or object array, ...) is encoded as ``{"__opaque__": what}``: a
description, never the object. :func:`decode` turns that into :class:`Opaque`, which
the check helpers report as "not plain data" and which earns nothing. The sandbox side
keeps the real object, so that the judge can pass it back to the student's own code
(a ``cache`` returned by a forward pass, say) by reference: ``{"__ref__": [call, *path]}``.

:func:`decode` is the only way data from the sandbox enters the judge, and it trusts
nothing: every node is checked, ``.npy`` blobs are loaded with ``allow_pickle=False``
and only numeric or bool dtypes are kept. This module has no dependency on the rest of
the course package, because it is imported inside the sandbox as well.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np

#: dtype kinds accepted: bool, signed and unsigned integers, floats.
ARRAY_KINDS = "biuf"
MAX_DEPTH = 12
MAX_STRING = 20_000
MAX_ITEMS = 100_000


class NotPlainDataError(ValueError):
    """Data from the sandbox that does not follow the format (it earns nothing)."""


@dataclass(frozen=True)
class Opaque:
    """Stands in for a value that is not plain data; ``what`` describes it."""

    what: str

    def __repr__(self) -> str:
        return f"<not plain data: {self.what}>"


@dataclass(frozen=True)
class Ref:
    """An argument that is (part of) an earlier call's result, kept in the sandbox."""

    call: int
    path: tuple = ()


def _describe_type(value) -> str:
    kind = type(value)
    name = (
        f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__name__
    )
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray:
            return f"an object of type {name} (a subclass of numpy.ndarray)"
        return f"a NumPy array of dtype {value.dtype} (only bool, integer and float arrays count)"
    return f"an object of type {name}"


# ---------------------------------------------------------------------------- encode


def array_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


class Encoder:
    """Encodes values into (tree, blobs). ``refs`` maps ``id(obj)`` to a :class:`Ref`.

    With ``strict`` false (the sandbox side), what is not plain data becomes an opaque
    description; with ``strict`` true (the judge side), it is an error.
    """

    def __init__(self, refs: dict[int, Ref] | None = None, strict: bool = False):
        self.blobs: list[bytes] = []
        self.refs = refs or {}
        self.strict = strict

    def _blob(self, array: np.ndarray) -> int:
        self.blobs.append(array_bytes(array))
        return len(self.blobs) - 1

    def encode(self, value, depth: int = 0):
        if id(value) in self.refs and not isinstance(value, (bool, int, float, str)):
            ref = self.refs[id(value)]
            return {"__ref__": [ref.call, *ref.path]}
        if isinstance(value, Ref):
            return {"__ref__": [value.call, *value.path]}
        if depth > MAX_DEPTH:
            return self._opaque("a structure nested too deeply")
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if kind is int:
            return value if abs(value) < 2**63 else {"__float__": repr(float(value))}
        if kind is float:
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if kind is np.ndarray and value.dtype.kind in ARRAY_KINDS and value.dtype.fields is None:
            return {"__array__": self._blob(value)}
        if isinstance(value, np.generic) and kind.__module__ == "numpy":
            if value.dtype.kind in ARRAY_KINDS:
                return {"__scalar__": self._blob(np.asarray(value))}
        if kind is tuple:
            return {"__tuple__": [self.encode(v, depth + 1) for v in value]}
        if kind is list:
            return [self.encode(v, depth + 1) for v in value]
        if kind is dict and all(type(k) in (str, int) for k in value):
            return {"__dict__": [[k, self.encode(v, depth + 1)] for k, v in value.items()]}
        return self._opaque(_describe_type(value))

    def _opaque(self, what: str):
        if self.strict:
            raise NotPlainDataError(what)
        return {"__opaque__": what}


def encode(value, refs: dict[int, Ref] | None = None, strict: bool = False):
    """``(tree, blobs)`` for ``value``."""
    enc = Encoder(refs, strict)
    return enc.encode(value), enc.blobs


def round_trip(value):
    """``value`` as the judge sees a student's result of it: encoded, then decoded."""
    return decode(*encode(value))


def blobs_to_text(blobs: list[bytes]) -> list[str]:
    return [base64.b64encode(b).decode("ascii") for b in blobs]


def text_to_blobs(texts) -> list[bytes]:
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise NotPlainDataError("the array list is not a list of strings")
    try:
        return [base64.b64decode(t, validate=True) for t in texts]
    except ValueError as e:
        raise NotPlainDataError(f"an array is not valid base64 ({e})") from None


# ---------------------------------------------------------------------------- decode


def load_array(blob: bytes, max_bytes: int | None = None) -> np.ndarray:
    """One ``.npy`` blob, safely: no pickles, numeric or bool dtype, plain ndarray."""
    if not isinstance(blob, bytes | bytearray):
        raise NotPlainDataError("an array blob is not bytes")
    if max_bytes is not None and len(blob) > max_bytes:
        raise NotPlainDataError(f"an array of {len(blob)} bytes is over the limit")
    try:
        array = np.load(io.BytesIO(blob), allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - anything malformed is refused
        raise NotPlainDataError(f"an array could not be read ({type(e).__name__})") from None
    if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS:
        raise NotPlainDataError(f"an array of dtype {getattr(array, 'dtype', '?')} is not accepted")
    if array.dtype.fields is not None:
        raise NotPlainDataError("a structured array is not accepted")
    return array


class Decoder:
    """Decodes a tree; ``resolve(ref)`` gives the value of a reference (or raises)."""

    def __init__(self, blobs: list[bytes], resolve=None, max_bytes: int | None = None):
        self.blobs = blobs
        self.resolve = resolve
        self.max_bytes = max_bytes
        self.items = 0

    def _blob(self, index) -> np.ndarray:
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise NotPlainDataError("an array reference points nowhere")
        return load_array(self.blobs[index], self.max_bytes)

    def decode(self, node, depth: int = 0):
        self.items += 1
        if self.items > MAX_ITEMS or depth > MAX_DEPTH + 2:
            raise NotPlainDataError("the data is too large or too deeply nested")
        if node is None or type(node) in (bool, int):
            return node
        if type(node) is float:
            return node
        if type(node) is str:
            if len(node) > MAX_STRING:
                raise NotPlainDataError("a string is too long")
            return node
        if type(node) is list:
            return [self.decode(v, depth + 1) for v in node]
        if type(node) is not dict or len(node) != 1:
            raise NotPlainDataError("an unknown node")
        ((tag, body),) = node.items()
        if tag == "__array__":
            return self._blob(body)
        if tag == "__scalar__":
            array = self._blob(body)
            if array.ndim != 0:
                raise NotPlainDataError("a scalar is not 0-dimensional")
            return array[()]
        if tag == "__float__":
            if body not in ("nan", "inf", "-inf") and not isinstance(body, str):
                raise NotPlainDataError("a bad float")
            try:
                return float(body)
            except ValueError:
                raise NotPlainDataError("a bad float") from None
        if tag == "__tuple__" and type(body) is list:
            return tuple(self.decode(v, depth + 1) for v in body)
        if tag == "__dict__" and type(body) is list:
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                    raise NotPlainDataError("a bad dict entry")
                out[pair[0]] = self.decode(pair[1], depth + 1)
            return out
        if tag == "__opaque__" and type(body) is str:
            return Opaque(body[:300])
        if tag == "__ref__" and type(body) is list and body and type(body[0]) is int:
            ref = Ref(body[0], tuple(body[1:]))
            if self.resolve is None:
                return ref
            return self.resolve(ref)
        raise NotPlainDataError(f"an unknown tag {str(tag)[:40]!r}")


def decode(tree, blobs: list[bytes], resolve=None, max_bytes: int | None = None):
    """The value of ``(tree, blobs)``; raises :class:`NotPlainDataError` on anything else."""
    return Decoder(blobs, resolve, max_bytes).decode(tree)


def shift_blobs(tree, offset: int):
    """Renumber the blob indices of ``tree`` by ``offset``."""
    if offset == 0:
        return tree
    if isinstance(tree, list):
        return [shift_blobs(v, offset) for v in tree]
    if isinstance(tree, dict) and len(tree) == 1:
        ((tag, body),) = tree.items()
        if tag in ("__array__", "__scalar__"):
            return {tag: body + offset}
        if tag == "__tuple__":
            return {tag: [shift_blobs(v, offset) for v in body]}
        if tag == "__dict__":
            return {tag: [[k, shift_blobs(v, offset)] for k, v in body]}
    return tree
