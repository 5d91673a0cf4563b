"""The ``Likely mistake:`` line of the visible checks, from data shipped with the release.

Student side (used by :mod:`cnnbook.grading` in the student's notebook). Beside each
released notebook, ``misconceptions.json`` (written by ``tools/build_solutions.py``
with :mod:`cnnbook.grader.judging.visible_table`) holds, for every call a visible test makes,
a digest of the call's inputs and what each known mistake returns on them: data no
more revealing than the visible expected values, never code. While a test cell runs,
the calls of the student's functions are noted; when a check fails, the noted calls of
that cell are looked up, and if one known mistake behaves exactly like the student's
code on all of them (the call that failed included), its sentence is added to the
failure message, the same line the autograder's judge writes
(:mod:`cnnbook.grader.judging.diagnosis`). The data holds pairs of mistakes made
together too (id ``first+second``, ranked after every single mistake, as the judge
tries them), so two mistakes at once are named as the judge names them. The cell stops
at its first failing call: a mistake that is right on the earlier calls and explains
that one is the line the judge writes for it when several calls fail differently.

Nothing is said when the file is missing, when a call is not one of the visible ones
(for instance when an earlier result of the student's code went into it), or when
the cell ran out of order so that its inputs differ.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np

from cnnbook.grading.tolerances import ATOL, RTOL

DATA_FILE = "misconceptions.json"

_loaded: dict[str, tuple[float, dict | None]] = {}
_cell: dict = {"key": object(), "calls": []}


# ---------------------------------------------------------------------------- values


def _hash(value, h) -> None:
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        h.update(f"a{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    elif isinstance(value, np.generic):
        _hash(np.asarray(value), h)
    elif isinstance(value, tuple | list):
        h.update(f"{type(value).__name__}{len(value)}(".encode())
        for v in value:
            _hash(v, h)
        h.update(b")")
    elif isinstance(value, dict):
        h.update(f"dict{len(value)}(".encode())
        for k, v in value.items():
            h.update(repr(k).encode())
            _hash(v, h)
        h.update(b")")
    elif value is None or isinstance(value, bool | int | float | str):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    else:
        h.update(f"?{type(value).__name__};".encode())


def digest(fn_name: str, args, kwargs) -> str:
    """A digest of one call's function name and inputs (arrays by dtype, shape, bytes)."""
    h = hashlib.sha256(fn_name.encode() + b"\0")
    _hash(tuple(args), h)
    _hash(dict(sorted(kwargs.items())), h)
    return h.hexdigest()[:32]


def to_json(value):
    """A value as JSON (arrays with their kind and shape), for :func:`from_json`."""
    if isinstance(value, np.ndarray):
        kind = {"b": "b", "i": "i", "u": "i", "f": "f"}.get(value.dtype.kind, "?")
        return {"array": value.tolist(), "kind": kind, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"tuple": [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[k, to_json(v)] for k, v in value.items()]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return {"other": type(value).__name__}


def from_json(node):
    if isinstance(node, list):
        return [from_json(v) for v in node]
    if isinstance(node, dict):
        if "array" in node:
            dtype = {"b": bool, "i": np.int64, "f": np.float64}.get(node["kind"], object)
            return np.array(node["array"], dtype=dtype).reshape(node["shape"])
        if "tuple" in node:
            return tuple(from_json(v) for v in node["tuple"])
        if "dict" in node:
            return {k: from_json(v) for k, v in node["dict"]}
        return object()  # not comparable: matches nothing
    return node


def _category(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    return type(value).__name__


def _one_value(a) -> bool:
    return type(a) is np.ndarray and a.ndim >= 1 and a.size == 1


def close(got, want, rtol: float = RTOL, atol: float = ATOL,
          loose: bool = False) -> bool:
    """Whether ``got`` equals ``want`` within the tolerances (``atol`` scaled by ``want``'s
    largest finite magnitude, at least 1, as ``check_array`` does), with the same
    structure and the same kind of numbers (bool, integer, float).

    ``loose``: harmless shape differences do not count, for telling whether two codes make
    the same mistake: a single value in an array of shape (1,), (1, 1) or (1, 1, 1) is
    the same single value in any of them."""
    if loose and _one_value(got) and _one_value(want):
        got, want = got.reshape(1), want.reshape(1)
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        if type(want) is not np.ndarray or type(got) is not np.ndarray:
            return False
        kinds = {"b": "b", "i": "i", "u": "i", "f": "f"}
        if got.shape != want.shape or kinds.get(got.dtype.kind) != kinds.get(want.dtype.kind):
            return False
        if want.dtype.kind != "f":
            return bool(np.array_equal(got, want))
        with np.errstate(all="ignore"):
            scale = max(1.0, float(np.max(np.abs(want[np.isfinite(want)]), initial=0.0)))
            return bool(np.all(np.isclose(got, want, rtol, atol * scale, equal_nan=True)))
    if isinstance(want, tuple | list) or isinstance(got, tuple | list):
        return (
            type(got) is type(want)
            and len(got) == len(want)
            and all(close(g, w, rtol, atol, loose) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, dict) or isinstance(got, dict):
        return (
            type(got) is dict
            and type(want) is dict
            and set(got) == set(want)
            and all(close(got[k], want[k], rtol, atol, loose) for k in want)
        )
    if _category(got) != _category(want):
        return False
    if _category(want) == "float":
        g, w = float(got), float(want)
        if np.isnan(g) or np.isnan(w):
            return bool(np.isnan(g) and np.isnan(w))
        return bool(np.isclose(g, w, rtol, atol * max(1.0, abs(w) if np.isfinite(w) else 1.0)))
    if _category(want) in ("bool", "int", "str", "NoneType"):
        return bool(got == want)
    return False


# ---------------------------------------------------------------------------- the data


def _data() -> dict | None:
    path = Path.cwd() / DATA_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    key = str(path)
    if key not in _loaded or _loaded[key][0] != mtime:
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or not isinstance(data.get("calls"), dict):
                data = None
        except (OSError, ValueError):
            data = None
        _loaded[key] = (mtime, data)
    return _loaded[key][1]


def _cell_key():
    """The running notebook cell (IPython's execution count), or None outside IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "execution_count", None)


class Probe:
    """One call of the student's function, noted for the diagnosis."""

    def __init__(self, name: str, args, kwargs):
        self.digest = digest(name, args, kwargs)
        self.before = {i: digest("", (a,), {}) for i, a in enumerate(args)
                       if type(a) is np.ndarray}  # fmt: skip

    def done(self, args=(), value=None, raised: BaseException | None = None) -> None:
        """Note what the call did: its value and the arguments it left behind, or the
        exception it raised."""
        key = _cell_key()
        if key is None or key != _cell["key"]:
            _cell["key"], _cell["calls"] = key, []
        if raised is not None:
            outcome = {"raised": [type(raised).__name__, str(raised)[:2000]]}
        else:
            after = {i: a for i, a in enumerate(args) if isinstance(a, np.ndarray | dict | list)}
            changed = [i for i, was in self.before.items() if i < len(args)
                       and type(args[i]) is np.ndarray and digest("", (args[i],), {}) != was]
            outcome = {"value": value, "after": after, "changed": changed}
        _cell["calls"].append((self.digest, outcome))


def observe(fn, args, kwargs) -> Probe | None:
    """A probe for a call about to be made, or None when there is nothing to diagnose."""
    if _data() is None:
        return None
    try:
        return Probe(getattr(fn, "__name__", ""), args, kwargs)
    except Exception:  # noqa: BLE001 - never in the way of the check itself
        return None


#: Exception messages that say the same thing in other words: arrays whose shapes do
#: not fit (``np.dot`` and ``@`` word it differently), an index past the end.
_FAILURE_KINDS = [
    ("shapes", re.compile(r"could not be broadcast|not aligned|mismatch in its core dimension"
                          r"|cannot reshape array|shape mismatch|could not broadcast")),
    ("index", re.compile(r"out of bounds|index \S+ is out of")),
    ("too-many-indices", re.compile(r"too many indices")),
    ("scalar-conversion", re.compile(r"only 0-dimensional arrays can be converted|only (size-1|"
                                     r"length-1) arrays can be converted")),
    ("not-integer", re.compile(r"cannot be interpreted as an integer|only integers, slices")),
    ("no-attribute", re.compile(r"has no attribute|was removed in the NumPy 2")),
    # a shape given as separate numbers: np.zeros(2, 3) reads 3 as a data type, and
    # np.zeros(2, 3, 4, 5) has too many arguments
    ("shape-as-arguments", re.compile(r"Cannot interpret '.*' as a data type"
                                      r"|\w+\(\) takes from \d+ to \d+ positional arguments")),
]


#: Exceptions whose message says nothing about the mistake: an ``assert`` of the student's
#: (its message is the student's own words). An unbound variable keeps its name: "used
#: before it was given a value" alone fits too many mistakes (a real one wrote
#: ``A_prev_pad = A_prev_pad[i]``, which fails with or without padding).
_ANY_MESSAGE = {"AssertionError": "assert"}


def failure_class(type_name: str, message: str) -> str:
    """What kind of failure an exception is, for telling whether two codes fail alike:
    its type and the kind its message names (two wordings of a shape mismatch are one
    kind); an unknown message counts as its text with the numbers left out."""
    message = str(message or "")
    if type_name in _ANY_MESSAGE:  # the student's own words
        return f"{type_name}:{_ANY_MESSAGE[type_name]}"
    for kind, pattern in _FAILURE_KINDS:
        if pattern.search(message):
            return f"{type_name}:{kind}"
    return f"{type_name}:" + re.sub(r"\d+", "#", message)[:300]


def _raised(outcome: dict):
    raised = outcome.get("raised")
    if isinstance(raised, list | tuple) and len(raised) == 2:
        return failure_class(str(raised[0]), str(raised[1]))
    return None


def _changes_alike(outcome: dict, want, changes) -> bool:
    """Whether the student's call changed no input array that the mistake (``want``, or
    the reference's behaviour for ``"correct"``) leaves as the reference does, when the
    reference changes only ``changes`` (None: not known, from older data)."""
    if changes is None or "raised" in outcome:
        return True
    shipped = {i for i, _ in want.get("after", [])} if isinstance(want, dict) else set()
    return all(i in shipped or i in changes for i in outcome.get("changed", ()))


def _alike(outcome: dict, want: dict, rtol: float, atol: float) -> bool:
    if "raised" in want or "raised" in outcome:
        mine, theirs = _raised(outcome), _raised(want)
        return mine is not None and mine == theirs
    if not close(outcome["value"], from_json(want["value"]), rtol, atol, loose=True):
        return False
    for i, value in want.get("after", []):
        left = outcome["after"].get(i)
        if left is None or not close(left, from_json(value), rtol, atol, loose=True):
            return False
    return True


def line() -> str:
    """The ``Likely mistake:`` line for the calls of the running cell, or ``""``."""
    data = _data()
    calls = _cell["calls"] if _cell["key"] == _cell_key() else []
    if data is None or not calls:
        return ""
    try:
        possible = None
        for k, (key, outcome) in enumerate(calls):
            entry = data["calls"].get(key)
            if entry is None:
                return ""
            rtol, atol = entry.get("rtol", RTOL), entry.get("atol", ATOL)
            last = k == len(calls) - 1
            ok = set()
            changes = entry.get("changes")  # the input arrays the reference changes
            for mid, want in entry["mistakes"].items():
                if not _changes_alike(outcome, want, changes):
                    continue  # the student changed an input the mistake leaves alone
                if want == "correct":
                    if not last:  # behaves like the reference here; the failure is later
                        ok.add(mid)
                elif _alike(outcome, want, rtol, atol):
                    ok.add(mid)
            possible = ok if possible is None else possible & ok
            if not possible:
                return ""
        info = data["misconceptions"]
        best = min(possible, key=lambda mid: info[mid]["rank"])
        return info[best]["line"]
    except Exception:  # noqa: BLE001 - malformed data: no diagnosis, never a crash
        return ""
