"""Several known mistakes in one answer: how the diagnosis names them.

Two ways, tried by :mod:`cnnbook.grader.judging.diagnosis` when no single mistake
explains a failed test cell:

* :class:`Pair`: two mistakes of one answer cell made together (the edits of both), a
  mistake evaluated like any other; its line names both ("two at once"). The visible
  checks ship pairs too (:mod:`cnnbook.grader.judging.visible_table`), so the student's
  notebook names a pair exactly when the judge does.
* :class:`CallLines`: no pair either, but single calls of the cell that one mistake
  explains on its own: a line for each. The first failing call's line is the plain
  ``Likely mistake:`` line (what the student's notebook says at that call, where the
  test stops); a later call's line names the call.
"""

from __future__ import annotations

import dataclasses

from cnnbook.grader.judging.misconceptions import Misconception

#: Pairs of mistakes tried on one test cell that no single mistake explains.
MAX_PAIRS = 45


class Pair:
    """Two mistakes of one answer cell made together: ``both`` is the mistake with the
    edits of ``first`` and ``second`` (evaluated like any other), ``line`` names both."""

    def __init__(self, first: Misconception, second: Misconception):
        self.first, self.second = first, second
        self.id = f"{first.id}+{second.id}"
        self.both = dataclasses.replace(
            first, id=self.id, name=f"{first.name}; {second.name}",
            functions=tuple(dict.fromkeys(first.functions + second.functions)),
            edits=first.edits + second.edits, priority=max(first.priority, second.priority),
        )

    @property
    def line(self) -> str:
        return (f"Likely mistakes (two at once): 1. {self.first.says} Reread "
                f"{self.first.section}. 2. {self.second.says} Reread {self.second.section}.")


class CallLines:
    """Mistakes that each explain some calls of a test cell: ``found`` holds (the call
    as text, or ``""`` for the first failing call, the one the failure message shows;
    the mistake), one per mistake, in call order."""

    def __init__(self, found: list[tuple[str, Misconception]]):
        self.found = found
        self.id = "+".join(m.id for _, m in found)

    @property
    def line(self) -> str:
        return "\n".join(
            m.line if not call else
            f"Likely mistake in a later call, {call}: {m.says} Reread {m.section}."
            for call, m in self.found
        )  # fmt: skip
