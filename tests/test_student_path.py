"""What a student installs and opens, without a browser (the browser test is
tests/test_student_jupyterlab.py): the student requirements, the notebooks'
kernel metadata, nbgrader validate's line width, and the downloaded chapter
notebooks' widget outputs."""

from __future__ import annotations

import importlib.util
import json
import re

import nbformat
import pytest

from tests.exercise_harness import ASSIGNMENTS, ROOT, read_notebook, release_path, solution_path


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_student_requirements_are_a_subset_with_the_same_pins():
    student, full = _pins(ROOT / "requirements-student.txt"), _pins(ROOT / "requirements.txt")
    for name in ("numpy", "matplotlib", "ipywidgets", "jupyterlab", "jupytext", "nbgrader"):
        assert name in student, f"requirements-student.txt must pin {name}"
    for name, version in student.items():
        assert full.get(name) == version, f"{name}=={version} is pinned as {full.get(name)} in requirements.txt"
    text = (ROOT / "requirements-student.txt").read_text()
    assert re.search(r"^-e \.", text, re.M), "the cnnbook package itself"
    for tool in ("pytest", "playwright", "ruff", "jupyter-book", "hypothesis"):
        assert tool not in student, f"{tool} is not a student's tool"


def test_nbgrader_validate_shows_whole_messages():
    """nbgrader cuts each line of a failure at Validator.width - 3 (90 by default);
    cnnbook.grading wraps its messages at 100 characters."""
    from traitlets.config.loader import PyFileConfigLoader

    from cnnbook import grading

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    room = config.Validator.width - 3 - 4  # the validator indents every line by 4
    assert room >= grading.frames.WIDTH
    # a hint's link cannot be wrapped: it sits on a line of its own, indented by 4
    text = (ROOT / "tools" / "exercise_sources").glob("ps*.py")
    topics = set(re.findall(r'hint\(\s*"(\d\d)",\s*"([^"]+)"', "".join(p.read_text() for p in text)))
    longest = max((len(u) for c, t in topics for u in re.findall(r"https://\S+", grading.hint(c, t))))
    assert room >= longest + 4, f"a link of {longest} characters is cut by nbgrader validate"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_name_the_kernel_as_jupyter_writes_it_back(assignment):
    """A notebook whose kernelspec or language_info differ from what the kernel reports
    opens in JupyterLab marked as modified (checked in the browser test)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    for path in (solution_path(assignment), release_path(assignment)):
        meta = read_notebook(path).metadata
        assert meta.kernelspec.display_name == spec.display_name, path
        assert meta.kernelspec.name == "python3"
        info = meta.language_info
        assert {"codemirror_mode", "file_extension", "mimetype", "name", "nbconvert_exporter",
                "pygments_lexer", "version"} <= set(info), path


def _site_assets():
    spec = importlib.util.spec_from_file_location("site_assets", ROOT / "_ext" / "site_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_downloaded_notebook_widgets_get_a_picture_of_their_saved_view(tmp_path):
    """A downloaded notebook is untrusted in JupyterLab, which then shows a widget's
    text fallback (``VBox(children=...``); the build adds the saved view's picture."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from cnnbook.widgets import pooling_explorer\n"
        "pooling_explorer(image='digit (8x8)', mode='max', size=2, stride=2)"
    )])
    nb.metadata.kernelspec = {"display_name": "Python 3", "language": "python", "name": "python3"}
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    notebook = json.loads(json.dumps(nb))
    data = notebook["cells"][0]["outputs"][0]["data"]
    assert data["text/plain"].startswith("VBox(children=")
    _site_assets().prepare_download(notebook)
    data = notebook["cells"][0]["outputs"][0]["data"]
    assert data["image/png"].startswith("iVBORw0KGgo"), "a PNG of the explorer's figure"
    assert "Trust Notebook" in data["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in data, "the live widget stays"
    assert notebook["metadata"]["kernelspec"]["display_name"] == "Python 3 (ipykernel)"


@pytest.mark.slow
def test_nbgrader_validate_prints_the_course_messages_whole(tmp_path):
    """``nbgrader validate`` from the course folder (it reads nbgrader_config.py there)."""
    import shutil
    import subprocess
    import sys

    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    notebook = shutil.copy(release_path("ps04_activations_dense"), tmp_path)
    result = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    report = result.stdout
    assert "VALIDATION FAILED ON 4 CELL(S)!" in report, report
    assert "    AssertionError: relu_forward is not implemented yet: it still raises " \
        "NotImplementedError. Replace" in report
    assert "        the 'raise NotImplementedError()' line of its answer cell with your code." \
        in report.splitlines()
    errors = report.split("The error was:")[1:]
    assert errors and not any(line.endswith("...") for e in errors for line in e.splitlines()), \
        "a line of a message was cut"
