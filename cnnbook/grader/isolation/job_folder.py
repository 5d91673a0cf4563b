"""One job's folder: everything a sandbox needs to run one student's notebook.

``job_dir/``::

    job.json   {"spec": JobSpec, "notebook": the student's code only, "calls": recorded}
    files/     the student's own files (within the caps) and the assignment's other files
    package/   the course package as the sandbox sees it (no module that holds answers)

A job folder is self-contained, so an executor can run it here or ship it to a cluster.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cnnbook.grader.isolation.staging import student_code_only, student_files
from cnnbook.grader.sandboxed.job_spec import JobSpec


def write_job_folder(job_dir: Path, spec: JobSpec, notebook, calls: dict, *, student_dir: Path,
                     package: Path, assignment_files: Path) -> None:
    """Write ``job_dir``: ``notebook`` (sanitized, test cells still in: only its student
    code is written), the student's files from ``student_dir``, the ``package`` overlay,
    the assignment's non-notebook files from ``assignment_files``, ``spec`` and the
    judge's recorded ``calls``."""
    (job_dir / "files").mkdir(parents=True)
    student_files(student_dir, job_dir / "files")  # all within the caps: staged so
    shutil.copytree(package, job_dir / "package")
    # the assignment's other files (data, helper modules), as nbgrader provides them
    if assignment_files.is_dir():
        for f in assignment_files.rglob("*"):
            rel = f.relative_to(assignment_files)
            if f.is_file() and f.suffix != ".ipynb" and not rel.parts[0].startswith("."):
                (job_dir / "files" / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, job_dir / "files" / rel)
    payload = {"spec": spec.to_json(), "notebook": student_code_only(notebook), "calls": calls}
    (job_dir / "job.json").write_text(json.dumps(payload))
