"""The last line of defence of :mod:`cnnbook.grader.doors`, in the student's kernel.

nbgrader's own autograde (``nbgrader autograde``, Formgrader's Autograde button) runs
the notebook in a kernel with ``NBGRADER_EXECUTION=autograde``. Through the course's
configuration that never happens: its Execute step is the judge's sandbox, whose runner
marks its kernel with ``CNNBOOK_RUNNER``. A kernel under nbgrader's autograde without
that mark is nbgrader's unsandboxed Execute, started by a configuration that does not
load the course's (a Formgrader whose server does not read the course's
``nbgrader_config.py``, say): the set-up cell's ``import cnnbook.grading`` ends that
kernel at once, so no later cell runs as the instructor, and nbgrader reports the
submission as failed (it records no grade) with this message in its log.
"""

from __future__ import annotations

import os
import sys

MESSAGE = (
    "cnnbook: refusing to run a student's notebook under nbgrader's own, unsandboxed "
    "Execute step: this nbgrader (or Formgrader) did not load the course's "
    "nbgrader_config.py, whose autograde steps run the student's code in the sandbox "
    "and grade it with the judge. Grade with `cnnbook autograde ASSIGNMENT` from the "
    "course root, or load the course's nbgrader_config.py (docs/instructors.md, "
    "'Formgrader and plain nbgrader').\n"
)


def unsandboxed_autograde() -> bool:
    """Whether this is a kernel of nbgrader's own (unsandboxed) autograde."""
    return (
        os.environ.get("NBGRADER_EXECUTION") == "autograde"
        and not os.environ.get("CNNBOOK_RUNNER")
        and _in_a_kernel()  # not the judge in the grading process (Formgrader's server)
    )


def _in_a_kernel() -> bool:
    """This process is a running IPython kernel. (``"ipykernel" in sys.modules`` is not
    enough: a Jupyter server imports ``ipykernel.kernelspec`` when it lists kernels, and
    Formgrader's Autograde runs the judge's pipeline in that server, with nbgrader's
    ``NBGRADER_EXECUTION=autograde`` set: the guard then ended the instructor's server.)"""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    return kernelapp is not None and kernelapp.IPKernelApp.initialized()


def refuse_unsandboxed_autograde() -> None:
    if unsandboxed_autograde():
        sys.__stderr__.write(MESSAGE)
        sys.__stderr__.flush()
        os._exit(70)
