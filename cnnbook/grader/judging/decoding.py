"""The sandbox's result lines, decoded: untrusted input becomes one CallOutcome per call.

Whatever a line holds, decoding only builds plain data
(:mod:`cnnbook.grader.sandboxed.plaindata`) or an ``Opaque`` marker, and a call without
a well-formed line is marked missing, with the reason. A result or argument state with
more than 4x the numbers of the reference call (+ 4096) is ``Opaque`` too, before any
comparison (:func:`_bounded`). What the student's helpers did during a call that names
them is kept as a :class:`~.own_helpers.HelperRecord`, decoded only if needed.
"""

from __future__ import annotations

from cnnbook.grader.judging.own_helpers import HelperRecord
from cnnbook.grader.judging.session import Call, CallOutcome, Recording, count_numbers
from cnnbook.grader.sandboxed import plaindata
from cnnbook.grading import frames


def decode_outcomes(recording: Recording, lines: list[dict], max_bytes: int | None = None):
    """The student's outcomes from the harness's result lines (untrusted), one per call.

    A call without a well-formed line gets ``missing`` set; a value that is not plain
    data becomes :class:`plaindata.Opaque`.
    """
    by_index: dict[int, dict] = {}
    for line in lines:
        if isinstance(line, dict) and type(line.get("index")) is int:
            by_index.setdefault(line["index"], line)
    outcomes: list[CallOutcome] = []
    for call in recording.calls:
        line = by_index.get(call.index)
        if line is None:
            outcomes.append(CallOutcome(missing=_why_missing(call, by_index)))
            continue
        try:
            blobs = plaindata.text_to_blobs(line.get("blobs", []))
            if "raised" in line:
                raised = line["raised"]
                if not isinstance(raised, dict):
                    raise plaindata.NotPlainDataError("a bad exception record")
                mro = raised.get("mro") if isinstance(raised.get("mro"), list) else []
                outcomes.append(
                    CallOutcome(raised={
                        "type": str(raised.get("type", "Exception"))[:100],
                        "mro": [str(m)[:100] for m in mro[:20]],
                        "message": str(raised.get("message", ""))[:2000],
                        "where": frames.where_line(raised.get("where")),
                    })
                )  # fmt: skip
                continue
            value = _bounded(plaindata.decode(line.get("value"), blobs, max_bytes=max_bytes), call)
            after = {}
            for item in line.get("after", []) or []:
                if isinstance(item, list) and len(item) == 2 and type(item[0]) is int:
                    entry = item[1] if isinstance(item[1], dict) else {}
                    replaced = (
                        entry.get("replaced") if isinstance(entry.get("replaced"), list) else []
                    )
                    state = plaindata.decode(entry.get("value"), blobs, max_bytes=max_bytes)
                    after[item[0]] = (
                        _bounded(state, call),
                        [r for r in replaced if type(r) in (str, int)],
                    )
            record = None
            if call.helpers and "helpers" in line:  # decoded if the replay needs it
                record = HelperRecord(line["helpers"], blobs, max_bytes)
            outcomes.append(CallOutcome(value=value, after=after, helpers=record))
        except plaindata.NotPlainDataError as e:
            opaque = plaindata.Opaque(f"data the grader cannot read ({e})")
            outcomes.append(CallOutcome(value=opaque))
    return outcomes


def _bounded(value, call: Call):
    """A student's result far bigger than the reference's (or than the inputs) is not
    compared at all: a broadcast against it could make the judge grow to gigabytes."""
    most = 4 * call.size + 4096
    n = count_numbers(value)
    if n > most:
        return plaindata.Opaque(f"a result of {n} numbers where about {call.size} are expected")
    return value


def _why_missing(call: Call, by_index) -> str:
    if not by_index or call.index > max(by_index):
        return "the notebook stopped before this call (an error, a time or memory limit)"
    return "no result came back for this call"
