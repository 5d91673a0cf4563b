"""The student's path in a real JupyterLab, driven by Debian's Chromium.

The test sets up what the README's student section says (the student
requirements are those of this environment; ``jupytext-config
set-default-viewer markdown myst`` in a private Jupyter config folder), starts
JupyterLab itself on a free loopback port with a random token, in a temporary
copy of an assignment, a chapter and a downloaded chapter notebook, and then,
as a student would:

1. opens ``ps04_activations_dense`` (it is not marked as modified),
2. types a wrong ``relu_forward`` into its answer cell, runs the cells above,
   the answer and its test cell, and reads the course's message on the first
   lines of the failure,
3. fixes the answer and sees the test cell pass,
4. presses Validate and reads nbgrader's report, with the course's messages
   whole,
5. opens the chapter ``04_pooling.md``: a notebook, not a text file; runs the
   pooling explorer and moves its size slider,
6. opens a downloaded (executed, untrusted) chapter notebook and sees the
   picture of the explorer's saved view instead of ``VBox(children=...``.

Screenshots of every step go to ``test-artifacts/student-lab-*.png``. Every
request that is not to the local server is blocked. The server, the browser
and the kernels are stopped at the end.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from tests.exercise_harness import ROOT, read_notebook, release_path

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
ASSIGNMENT = "ps04_activations_dense"
CHAPTER = "chapters/04_pooling.md"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
WRONG = "def relu_forward(x):\n    return x * 1.0  # wrong: the negative entries stay\n"
RIGHT = "def relu_forward(x):\n    return np.maximum(x, 0.0)\n"
TIMEOUT_MS = 60_000


def _chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium not found: apt-get install -y chromium (or set CHROMIUM=/path)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _downloaded_chapter_notebook(path: Path) -> None:
    """What a reader downloads from a chapter page: an executed notebook with saved widget
    state, prepared by the book build (_ext/site_assets.py)."""
    import importlib.util

    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Try it: pooling"),
        nbformat.v4.new_code_cell(
            "from cnnbook.widgets import pooling_explorer\n\n"
            "pooling_explorer(image='digit (8x8)', mode='max', size=2, stride=2)"
        ),
    ])
    nb.metadata.kernelspec = {"display_name": "Python 3", "language": "python", "name": "python3"}
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    spec = importlib.util.spec_from_file_location("site_assets", ROOT / "_ext" / "site_assets.py")
    site_assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site_assets)
    notebook = site_assets.prepare_download(json.loads(json.dumps(nb)))
    path.write_text(json.dumps(notebook, indent=1))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free loopback port, token auth, in a temporary course folder."""
    tmp = tmp_path_factory.mktemp("student")
    course = tmp / "course"
    shutil.copytree(release_path(ASSIGNMENT).parent, course / ASSIGNMENT)
    (course / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / CHAPTER, course / CHAPTER)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    _downloaded_chapter_notebook(course / "chapters" / "04_pooling_downloaded.ipynb")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"), IPYTHONDIR=str(tmp / "ipython"))
    env.pop("MPLBACKEND", None)
    # The README's one-time step: Markdown (MyST) files open as notebooks (jupytext).
    subprocess.run([str(Path(sys.executable).with_name("jupytext-config")), "set-default-viewer",
                    "markdown", "myst"], env=env, check=True, capture_output=True)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp / "jupyterlab.log", "w")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"JupyterLab did not start:\n{(tmp / 'jupyterlab.log').read_text()}")
                time.sleep(0.3)
        yield {"base": base, "token": token, "course": course, "log": tmp / "jupyterlab.log"}
    finally:
        # the server shuts its kernels down on SIGTERM; its whole session group goes after
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            blocked = []

            def route(r):
                if urlsplit(r.request.url).hostname in ("127.0.0.1", None) or \
                        r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.blocked = blocked
            yield page
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"student-lab-{name}.png"))


def _open(page, lab, path: str):
    page.goto(f"{lab['base']}/lab/tree/{path}?token={lab['token']}")
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
    return panel.locator(".jp-Notebook")


def _idle(page) -> None:
    page.wait_for_timeout(300)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()


def _replace_code(page, cell, code: str) -> None:
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)  # as typed, without the editor's auto-indentation


def _plain(text: str) -> list[str]:
    return [line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()]


def test_student_path_in_jupyterlab(lab, page):
    started = time.monotonic()

    # 1. The assignment opens, and is not marked as modified (JupyterLab rewrites the
    #    notebook's kernel metadata with the kernel's own; under another Python patch
    #    release than the notebooks name, only language_info.version would differ).
    nb = _open(page, lab, f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    page.wait_for_timeout(4000)  # the kernel's info arrives a moment after "idle"
    current = page.locator(".lm-TabBar-tab.lm-mod-current", has_text=ASSIGNMENT)
    written = read_notebook(release_path(ASSIGNMENT)).metadata.language_info.version
    if written == platform.python_version():
        assert "jp-mod-dirty" not in (current.get_attribute("class") or ""), \
            "a freshly opened assignment is marked as modified"
    _shot(page, "1-assignment")

    # 2. A wrong answer; the cells above, the answer and its test cell run.
    answer = nb.locator(".jp-CodeCell", has_text="def relu_forward")
    test = nb.locator(".jp-CodeCell", has_text="# Visible test: a 2x3 array.")
    _replace_code(page, answer, WRONG)
    page.keyboard.press("Escape")
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Above Selected Cell')")
    _idle(page)
    answer.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")  # the answer cell, then
    page.keyboard.press("Shift+Enter")  # its test cell
    _idle(page)
    error = test.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    error.first.wait_for()
    lines = _plain(error.first.inner_text())
    _shot(page, "2-wrong-answer")
    assert lines[0] == "AssertionError: In relu_forward(x=<array (2, 3)>):", lines[:5]
    assert lines[1].startswith("out has the right shape (2, 3) but 2 of 6 entries are wrong"), lines
    assert any("ReLU and its derivative" in line for line in lines[2:5]), lines
    assert not any("/grading/" in line or "Traceback" in line for line in lines), lines

    # 3. The fix passes: the test cell runs without output.
    _replace_code(page, answer, RIGHT)
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    _idle(page)
    page.wait_for_timeout(500)
    assert test.locator(".jp-OutputArea-output").count() == 0, _plain(test.inner_text())
    assert re.search(r"\[\d+\]", test.locator(".jp-InputPrompt").inner_text())
    _shot(page, "3-fixed")

    # 4. Validate: nbgrader runs the notebook; affine_forward is still a stub.
    page.locator(".jp-NotebookPanel:visible .jp-Toolbar").get_by_text("Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    report = dialog.inner_text()
    _shot(page, "4-validate")
    assert "affine_forward is not implemented yet" in report, report[:2000]
    assert "Replace the 'raise NotImplementedError()' line of its answer cell with your code." \
        in " ".join(report.split()), "the message is shown whole"
    assert "relu_forward(" not in report.split("The following cell failed")[1], \
        "the fixed relu_forward passes nbgrader's validation"
    dialog.locator("button").last.click()

    # 5. A chapter opens as a notebook; its pooling explorer runs and its slider moves.
    nb = _open(page, lab, CHAPTER)
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')"
        ".length > 20")
    assert page.locator(".jp-FileEditor:visible").count() == 0, "opened as a text file"
    explorer = nb.locator(".jp-CodeCell", has_text="pooling_explorer(image=")
    explorer.scroll_into_view_if_needed()
    explorer.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    size = explorer.locator(".widget-slider", has_text="size")
    size.wait_for()
    readout = size.locator(".widget-readout")
    image = explorer.locator("img.cnnbook-explorer-image")
    image.wait_for()
    assert readout.inner_text().strip() == "2"
    before = image.get_attribute("src")
    _shot(page, "5-chapter-widget")
    size.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(  # the explorer draws a new picture (a new <img>)
        "src => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
        "img.cnnbook-explorer-image')].some(img => img.getAttribute('src') !== src)",
        arg=before, timeout=20_000)
    assert readout.inner_text().strip() == "3"
    _shot(page, "6-widget-moved")

    # 6. A downloaded chapter notebook shows the explorer's saved view, not its text.
    nb = _open(page, lab, "chapters/04_pooling_downloaded.ipynb")
    output = nb.locator(".jp-CodeCell").first.locator(".jp-OutputArea-output")
    output.first.wait_for()
    page.wait_for_timeout(1500)
    shown = output.first.get_attribute("data-mime-type")
    _shot(page, "7-downloaded")
    assert shown in ("image/png", "application/vnd.jupyter.widget-view+json"), shown
    assert "VBox(children" not in nb.inner_text()

    assert not page.blocked, f"requests left the machine: {page.blocked}"
    assert time.monotonic() - started < 110
