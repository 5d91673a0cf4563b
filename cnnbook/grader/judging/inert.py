"""What an instructor opens shows student output as text, never as live content.

The autograded notebook is what Formgrader renders and what ``cnnbook feedback`` turns
into HTML, so its outputs are made inert in the notebook itself: of a rich output only
``text/plain`` and the raster images (PNG, JPEG: pictures, never code) are kept; HTML,
markdown, SVG, JavaScript, LaTeX, widget state and anything else a student's code put
there becomes its escaped source as ``text/plain``. Every string is made writable (a
lone surrogate in an exception message would stop nbformat from writing the notebook),
and the student's markdown cells have their ``<`` written as ``&lt;`` (it reads the same
rendered, but no tag, script or event handler survives).

:func:`csv_cell` keeps a spreadsheet from reading a cell of a report as a formula.
"""

from __future__ import annotations

import re

import nbformat

from cnnbook.grader.outcomes import text

#: Rich output types that are only pixels (base64 text), safe to show.
SAFE_IMAGES = ("image/png", "image/jpeg", "image/gif")
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")
MAX_SHOWN = 20_000  # characters of a rich output shown as text


def _as_text(value) -> str:
    if isinstance(value, list):
        value = "".join(str(v) for v in value)
    return text(value, MAX_SHOWN)


def inert_output(output: dict) -> dict:
    """One output, with nothing a browser would run or render as markup."""
    kind = output.get("output_type")
    if kind == "stream":
        return {
            "output_type": "stream",
            "name": "stderr" if output.get("name") == "stderr" else "stdout",
            "text": _as_text(output.get("text", "")),
        }
    if kind == "error":
        return {
            "output_type": "error",
            "ename": _as_text(output.get("ename", "")),
            "evalue": _as_text(output.get("evalue", "")),
            "traceback": [_as_text(t) for t in output.get("traceback", []) or []][:200],
        }
    data = output.get("data") if isinstance(output.get("data"), dict) else {}
    kept: dict = {}
    shown = []
    for mime, value in data.items():
        if mime == "text/plain":
            continue
        if mime in SAFE_IMAGES and isinstance(value, str) and BASE64.match(value):
            kept[mime] = value
        else:
            shown.append(f"[{text(mime, 100)} output, shown as text]\n{_as_text(value)}")
    plain = _as_text(data.get("text/plain", "")) if "text/plain" in data else ""
    if shown and not kept:
        plain = "\n".join(([plain] if plain else []) + shown)
    if plain or not kept:
        kept["text/plain"] = plain
    new = {"output_type": "display_data", "data": kept, "metadata": {}}
    if kind == "execute_result":
        new["output_type"] = "execute_result"
        count = output.get("execution_count")
        new["execution_count"] = count if isinstance(count, int) else None
    return new


def make_inert(nb, student_cell) -> None:
    """Every output of ``nb`` inert, and the markdown of the cells ``student_cell(cell)``
    says the student wrote, in place."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            outputs = [inert_output(dict(o)) for o in cell.get("outputs", [])]
            cell.outputs = [nbformat.from_dict(o) for o in outputs]
        elif cell.get("cell_type") == "markdown" and student_cell(cell):
            cell.source = text(cell.source, 10**6).replace("<", "&lt;")
        else:
            cell.source = text(cell.source, 10**6)
        if student_cell(cell):
            cell.pop("attachments", None)  # an attached SVG is markup too
    nb.metadata.pop("widgets", None)  # widget state renders as live views


def written_by_student(cell) -> bool:
    """Not one of the release's locked cells (those nbgrader restored from the gradebook).
    The flag can be trusted here: sanitizing (:mod:`cnnbook.grader.sanitizing`) has removed
    nbgrader metadata from every cell the gradebook does not know."""
    return not cell.get("metadata", {}).get("nbgrader", {}).get("locked", False)


#: What a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A value for a CSV cell that no spreadsheet reads as a formula (OWASP's rule: a
    leading ``= + - @``, tab or carriage return gets a ``'`` before it). The one helper
    for every CSV file cnnbook writes (reports, the status table, the LMS files)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
