"""The sample course and submissions used by the demo and the tests."""

from __future__ import annotations

import nbformat

from cnnbook.grader import samples


def test_samples_make_a_valid_submission(tmp_path):
    src = samples.tiny_source_notebook()
    answers = samples.solution_answers(src)
    assert answers == {
        "square": 'def square(x):\n    """Return x squared (element-wise for arrays)."""\n    return x * x'
    }
    nb = samples.make_submission(
        src, {"square": "pass"}, prefix="import os", path=tmp_path / "a.ipynb"
    )
    assert nb.cells[1].source == "import os\npass"
    nbformat.validate(nbformat.read(str(tmp_path / "a.ipynb"), as_version=4))
