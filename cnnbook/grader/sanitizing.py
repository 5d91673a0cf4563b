"""nbgrader's sanitize steps, with one of the course's first: a student's cell stays theirs.

The course's ``nbgrader_config.py`` sets ``c.Autograde.sanitize_preprocessors`` to
:data:`SANITIZE_PREPROCESSORS` (so nbgrader's own doors run it), and ``cnnbook
autograde``'s staging puts :class:`DropStrayCellMetadata` first whatever a course's
config says (``isolation.staging.sanitize``).
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

#: nbgrader's sanitize steps with :class:`DropStrayCellMetadata` first.
SANITIZE_PREPROCESSORS = [
    "cnnbook.grader.sanitizing.DropStrayCellMetadata",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def step_name(pp) -> str:
    """The class name of a preprocessor given as a class or a dotted string (how nbgrader's
    configuration lists its steps)."""
    return pp.rsplit(".", 1)[-1] if isinstance(pp, str) else getattr(pp, "__name__", "")


class DropStrayCellMetadata(NbGraderPreprocessor):
    """The student's cells stay the student's: nbgrader metadata is removed from every cell
    whose ``grade_id`` is not one of this notebook's cells in the gradebook, or that has
    none, or whose nbgrader metadata is not a table, and from every earlier copy of a cell whose
    ``grade_id`` comes again later (nbgrader keeps the last one).

    A copy is what a careless student makes (JupyterLab copies a cell with its metadata):
    nbgrader's own DeduplicateIds empties the copy's metadata, and CheckCellMetadata then
    refuses the whole notebook (schema version 0). A cell that claims to be the course's
    without being one would also stop the sanitize steps (a "locked" cell with no id), or
    be taken for the course's own cell when outputs are made inert
    (``judging.inert.written_by_student``). Removing the metadata grades such a cell as
    the ordinary cell of the student's it is.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        try:
            with Gradebook(info["db_url"]) as gb:
                source = gb.find_notebook(info["notebook"], info["assignment"])
                known = {c.name for c in source.source_cells}
        except MissingEntry:  # not in the gradebook: nbgrader's own steps say so
            return nb, resources
        seen: set[str] = set()
        for cell in reversed(nb.cells):
            meta = cell.get("metadata")
            if not isinstance(meta, dict) or "nbgrader" not in meta:
                continue
            claim = meta["nbgrader"]
            grade_id = claim.get("grade_id") if isinstance(claim, dict) else None
            if not isinstance(grade_id, str) or grade_id not in known or grade_id in seen:
                del meta["nbgrader"]
            else:
                seen.add(grade_id)
        return nb, resources
