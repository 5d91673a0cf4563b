"""The course on a real one-machine JupyterHub, set up as docs/jupyterhub.md says, driven
through Debian's Chromium as people use it.

``tests/hub_support.py`` makes the shared venv, four Unix accounts (one instructor, three
students) that the hub logs in through PAM, the instructor's course (0700, in a 0700
home) and the hub (configurable-http-proxy, LocalProcessSpawner) on free loopback ports.
Then:

1. each student logs in, fetches ps02 from the Assignment List, types an answer (ada:
   the reference answer; ben: conv_single_step without its bias; cara: every function
   wrapping the reference ``cnnbook.layers``), runs Validate (lines not cut at 90
   characters) and submits; a student's lab has no Formgrader, and her server none;
2. the instructor, in a hub terminal's login shell, finds ``nbgrader`` and ``cnnbook`` on
   PATH and runs ``nbgrader collect`` from her home folder (the course root is in her own
   nbgrader config); in Formgrader, opened in its own tab (the hub forbids framing), she
   presses Autograde for ben (judged: 13; run unsandboxed: 5); then ``cnnbook autograde`` grades the class. Both doors
   give 15 / 13 / 0, and ``cnnbook`` closes the 0777 folders ``collect`` left in
   ``submitted/``;
3. ``cnnbook feedback`` and ``nbgrader release_feedback``; each student fetches her
   feedback from the Assignment List and reads it: ben's names his mistake ("Likely
   mistake"), and no page shows a hidden test;
4. as ada's account, every attempt to read or change ben's work (his home, his collected
   submission), the gradebook and ben's feedback (and its ``submission_secret.txt``)
   fails; the same reads succeed as their owners (so the probe can see a file).

Screenshots go to ``test-artifacts/hub-*.png``. Every request that is not to the hub is
blocked. The hub, the servers, the accounts and their homes are removed at the end.
Costs about 3-4 minutes (the first run on a machine also makes the venv from pip's
cache: about 1-2 minutes more).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from cnnbook.grader import samples
from tests import hub_support as hs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("jupyterhub")]

ARTIFACTS = hs.REPO / "test-artifacts"
A = "ps02_convolution"
INSTRUCTOR = "cnbk-teach"
STUDENTS = {  # account -> (first name, last name)
    "cnbk-ada": ("Ada", "Lovelace"),
    "cnbk-ben": ("Ben", "Okafor"),
    "cnbk-cara": ("Cara", "Nunes"),
}
ADA, BEN, CARA = STUDENTS
EXPECTED = {ADA: 15.0, BEN: 13.0, CARA: 0.0}
FORMGRADER_STUDENT = BEN  # Formgrader's Autograde: judged 13, unsandboxed 5, refused 0
PROFILE_D = Path("/etc/profile.d/cnnbook-hub-test.sh")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 90_000

WRAPPER = {  # every answer cell calls the course's reference layers
    "conv_output_size": "def conv_output_size(n, f, pad=0, stride=1):\n"
                        "    from cnnbook import layers\n"
                        "    return layers.conv_output_size(n, f, pad=pad, stride=stride)\n",
    "zero_pad": "def zero_pad(x, pad):\n"
                "    from cnnbook import layers\n"
                "    return layers.zero_pad(x, pad)\n",
    "conv_single_step": "def conv_single_step(x_slice, w, b):\n"
                        "    from cnnbook import layers\n"
                        "    return layers.conv_single_step(x_slice, w, b)\n",
    "conv2d_forward": "def conv2d_forward(x, w, b, stride=1, pad=0):\n"
                      "    from cnnbook import layers\n"
                      "    return layers.conv2d_forward(x, w, b, stride=stride, pad=pad)\n",
}


def _answers() -> dict[str, dict[str, str]]:
    source = nbformat.read(str(hs.REPO / "solutions" / A / f"{A}.ipynb"), as_version=4)
    right = samples.solution_answers(source)
    ben = dict(right)
    assert "return float(total + b)" in ben["conv_single_step"]
    ben["conv_single_step"] = ben["conv_single_step"].replace(
        "return float(total + b)", "return float(total)")
    return {ADA: right, BEN: ben, CARA: WRAPPER}


def _hidden_test_lines() -> list[str]:
    """Lines of the source notebook's hidden tests that the released notebook lacks."""
    source = nbformat.read(str(hs.REPO / "solutions" / A / f"{A}.ipynb"), as_version=4)
    lines = []
    for cell in source.cells:
        text = cell.source
        while "### BEGIN HIDDEN TESTS" in text:
            start = text.index("### BEGIN HIDDEN TESTS") + len("### BEGIN HIDDEN TESTS")
            end = text.index("### END HIDDEN TESTS", start)
            lines += [ln.strip() for ln in text[start:end].splitlines() if len(ln.strip()) > 25]
            text = text[end:]
    released = nbformat.read(str(hs.REPO / "exercises" / A / f"{A}.ipynb"), as_version=4)
    shown = "\n".join(cell.source for cell in released.cells)
    lines = [ln for ln in lines if ln not in shown]  # only in the hidden tests
    assert len(lines) >= 5, "the source notebook has hidden tests"
    return lines


def test_hub_requirements_pinned_like_the_rest():
    """requirements-hub.txt installs what requirements.txt pins, at the same versions."""
    def pins(name: str) -> dict[str, str]:
        out = {}
        for line in (hs.REPO / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if "==" in line:
                pkg, version = line.split("==")
                out[pkg.strip().lower()] = version.strip()
        return out

    main = pins("requirements.txt")
    for name in ("requirements-hub.txt", "requirements-student.txt"):
        for pkg, version in pins(name).items():
            assert main.get(pkg) == version, f"{name}: {pkg}=={version}, requirements.txt: {main.get(pkg)}"
    assert "-r requirements-student.txt" in (hs.REPO / "requirements-hub.txt").read_text()


# -- the hub --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    missing = hs.missing_requirements()
    if missing:
        msg = "the JupyterHub test needs: " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    timings = {}
    started = time.monotonic()
    venv = hs.hub_venv()
    timings["venv"] = venv.seconds
    base = hs.temp_base()
    users = {INSTRUCTOR: hs.new_password(), **{s: hs.new_password() for s in STUDENTS}}
    hub = hs.Hub(tmp_path_factory.mktemp("hub"), users, INSTRUCTOR)
    try:
        # docs/jupyterhub.md, "The exchange": writable by everyone (nbgrader insists) but
        # sticky, and the course's folder made in advance, the instructor's
        exchange = base / "exchange"
        exchange.mkdir()
        exchange.chmod(0o1777)
        hs.write_everyone_config(exchange)
        # docs/jupyterhub.md, "PATH in terminals"
        PROFILE_D.write_text(f'PATH="{hs.VENV / "bin"}:$PATH"\n')
        PROFILE_D.chmod(0o644)  # every login shell reads it, whatever this process's umask
        homes = {name: hs.create_account(name, pw) for name, pw in users.items()}
        (exchange / hs.COURSE_ID).mkdir(mode=0o755)
        shutil.chown(exchange / hs.COURSE_ID, INSTRUCTOR, INSTRUCTOR)
        # the instructor's course: the repository's config and ps02's source, in her home
        home = homes[INSTRUCTOR]
        course = home / "course"
        (course / "solutions").mkdir(parents=True)
        shutil.copy(hs.REPO / "nbgrader_config.py", course / "nbgrader_config.py")
        shutil.copytree(hs.REPO / "solutions" / A, course / "solutions" / A)
        hs.run(["chown", "-R", f"{INSTRUCTOR}:{INSTRUCTOR}", str(course)])
        course.chmod(0o700)
        teach = {"user": INSTRUCTOR}
        # "The instructor's own settings": the course root, Formgrader and friends
        hs.run(["mkdir", "-p", ".jupyter"], **teach)
        hs.run(["sh", "-c", "cat > .jupyter/nbgrader_config.py"], input=(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            f"load_subconfig({str(course / 'nbgrader_config.py')!r})  # noqa: F821\n"), **teach)
        hs.run(["jupyter", "labextension", "enable", "--level=user",
                *hs.INSTRUCTOR_LAB_PLUGINS], **teach)
        hs.run(["mkdir", "-p", ".jupyter/jupyter_server_config.d"], **teach)
        hs.run(["sh", "-c", "cat > .jupyter/jupyter_server_config.d/nbgrader-instructor.json"],
               input=hs.INSTRUCTOR_SERVER_CONFIG, **teach)
        # release, the roster with names, into the exchange (from her home folder)
        hs.run(["cnnbook", "release", A], cwd=course, **teach)
        roster = home / "students.csv"
        roster.write_text("id,first_name,last_name\n" + "".join(
            f"{s},{first},{last}\n" for s, (first, last) in STUDENTS.items()))
        shutil.chown(roster, INSTRUCTOR, INSTRUCTOR)  # hers, whatever this process's umask
        hs.run(["nbgrader", "db", "student", "import", str(roster)], **teach)
        hs.run(["nbgrader", "release_assignment", A], **teach)
        timings["setup"] = time.monotonic() - started
        hub.start()
        timings["hub_start"] = time.monotonic() - started - timings["setup"]
        print(f"\nhub ready: {timings}")
        yield {"hub": hub, "course": course, "homes": homes, "exchange": exchange,
               "users": users, "timings": timings, "venv": venv}
    finally:
        hub.stop()
        for name in users:
            hs.remove_account(name)
        PROFILE_D.unlink(missing_ok=True)
        (hs.VENV / "etc" / "jupyter" / "nbgrader_config.py").unlink(missing_ok=True)
        shutil.rmtree(base, ignore_errors=True)
        for name in users:
            assert not hs.account_exists(name), f"account {name} left behind"


@pytest.fixture(scope="module")
def browser(hub):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        chromium = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Person:
    """One account's browser session (its own cookies)."""

    def __init__(self, browser, hub: hs.Hub, name: str, blocked: list[str]):
        self.name, self.hub = name, hub
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(TIMEOUT_MS)

        def route(r):
            if urlsplit(r.request.url).hostname in ("127.0.0.1", None) or \
                    r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()

    @property
    def user_url(self) -> str:
        return f"{self.hub.url}/user/{self.name}"

    def shot(self, name: str, page=None) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        (page or self.page).screenshot(path=str(ARTIFACTS / f"hub-{name}.png"))

    def login(self) -> None:
        page = self.page
        page.goto(f"{self.hub.url}/hub/login")
        page.fill("input[name=username]", self.name)
        page.fill("input[name=password]", self.hub.users[self.name])
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url(re.compile(rf".*/user/{re.escape(self.name)}/lab.*"), timeout=150_000)
        page.locator(".jp-LabShell").wait_for()
        page.locator("li.lm-MenuBar-item", has_text="Nbgrader").wait_for()

    def menu(self, *path: str) -> None:
        self.page.click(f"li.lm-MenuBar-item:has-text('{path[0]}')")
        for item in path[1:]:
            self.page.click(f"li.lm-Menu-item:has-text('{item}')")

    def assignment_list(self):
        self.menu("Nbgrader", "Assignment List")
        panel = self.page.locator(".jp-MainAreaWidget:visible", has_text="Released assignments")
        panel.wait_for()
        return panel

    def open_notebook(self, path: str):
        page = self.page
        page.goto(f"{self.user_url}/lab/tree/{path}")
        panel = page.locator(".jp-NotebookPanel:visible")
        panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
        return panel.locator(".jp-Notebook")

    def close(self) -> None:
        self.context.close()


def _replace_code(page, cell, code: str) -> None:
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)  # as typed, without the editor's auto-indentation


def _student_hands_in(person: Person, answers: dict[str, str]) -> str:
    """Fetch, answer, Validate (its report returned), submit."""
    page = person.page
    person.login()
    short = person.name.removeprefix("cnbk-")
    # a student's lab has no instructor panels
    page.click("li.lm-MenuBar-item:has-text('Nbgrader')")
    items = page.locator(".lm-Menu:visible li.lm-Menu-item").all_inner_texts()
    page.keyboard.press("Escape")
    assert not any("Formgrader" in i or "Course List" in i for i in items), items
    # fetch from the Assignment List
    panel = person.assignment_list()
    row = panel.locator("#released_assignments_list .list_item:not(.nested_list_item)", has_text=A)
    row.wait_for()
    person.shot(f"1-{short}-assignment-list")
    row.get_by_role("button", name="Fetch").click()
    panel.locator("#fetched_assignments_list .list_item:not(.nested_list_item)", has_text=A).wait_for()
    # answer every function
    nb = person.open_notebook(f"{A}/{A}.ipynb")
    for function, code in answers.items():
        cell = nb.locator(".jp-CodeCell", has_text=f"def {function}(")
        _replace_code(page, cell.first, code)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1000)
    person.shot(f"2-{short}-answered")
    # Validate
    page.locator(".jp-NotebookPanel:visible .jp-Toolbar").get_by_text("Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=150_000)
    page.wait_for_timeout(500)
    report = dialog.inner_text()
    person.shot(f"3-{short}-validate")
    dialog.locator("button").last.click()
    # submit
    panel = person.assignment_list()
    fetched = panel.locator("#fetched_assignments_list .list_item:not(.nested_list_item)", has_text=A)
    fetched.get_by_role("button", name="Submit").click()
    panel.locator("#submitted_assignments_list .list_item:not(.nested_list_item)", has_text=A).first.wait_for()
    person.shot(f"4-{short}-submitted")
    return report


def _gradebook_scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(A)}


def _formgrader_autograde(person: Person, student: str) -> tuple[str, str]:
    """Formgrader in its own tab (JupyterHub forbids framing), Autograde for one student;
    returns the dialog's text and the row's score."""
    page = person.context.new_page()
    response = page.goto(f"{person.user_url}/formgrader/manage_submissions/{A}")
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, csp  # why it cannot open inside JupyterLab
    row = page.locator("#main-table tr", has_text=student)
    row.wait_for()
    assert "None, None" not in page.locator("#main-table").inner_text()  # names shown
    person.shot("6-formgrader-before", page)
    row.locator(".autograde a").click()
    modal = page.locator("#success-modal, #error-modal")
    modal.wait_for(timeout=300_000)
    text = modal.inner_text()
    person.shot("7-formgrader-autograded", page)
    page.reload()
    row = page.locator("#main-table tr", has_text=student)
    row.locator(".score").wait_for()
    page.wait_for_timeout(1000)
    score = row.locator(".score").inner_text()
    page.close()
    return text, score


PROBE = r"""
import json, os, sys
out = {}
for label, op, path in json.loads(sys.argv[1]):
    try:
        if op == "read":
            with open(path, "rb") as f:
                f.read(1)
        elif op == "list":
            os.listdir(path)
        elif op == "create":
            p = os.path.join(path, "planted-by-" + os.environ["USER"] + ".txt")
            with open(p, "x") as f:
                f.write("x")
            os.unlink(p)
        elif op == "append":
            with open(path, "ab") as f:
                f.write(b"")
        elif op == "delete":
            os.rename(path, path + ".moved")
            os.rename(path + ".moved", path)
        out[label] = "allowed"
    except OSError as e:
        out[label] = type(e).__name__
print(json.dumps(out))
"""


def _probe(user: str, attempts: list[tuple[str, str, str]]) -> dict[str, str]:
    proc = hs.run([str(hs.VENV / "bin" / "python"), "-c", PROBE, json.dumps(attempts)],
                  user=user, cwd="/tmp")
    return json.loads(proc.stdout)


def test_course_on_a_real_jupyterhub(hub, browser):
    started = time.monotonic()
    h: hs.Hub = hub["hub"]
    course, homes = hub["course"], hub["homes"]
    blocked: list[str] = []
    answers = _answers()

    # 1. three students hand in through the Assignment List
    reports = {}
    for student in STUDENTS:
        person = Person(browser, h, student, blocked)
        try:
            reports[student] = _student_hands_in(person, answers[student])
            if student == ADA:  # her server has no Formgrader either
                r = person.page.request.get(f"{person.user_url}/formgrader")
                assert r.status == 404, r.status
        finally:
            person.close()
    assert "Success! Your notebook passes all the tests." in reports[ADA], reports[ADA][:1500]
    assert "Success! Your notebook passes all the tests." in reports[CARA], reports[CARA][:1500]
    ben = reports[BEN]
    assert "conv_single_step" in ben and "Likely mistake" in ben, ben[:3000]
    long_lines = [ln for ln in ben.splitlines() if len(ln) > 90]
    assert long_lines and not any(ln.rstrip().endswith("...") for ln in ben.splitlines()), \
        "Validate cuts lines: the width setting did not reach the student"
    t_students = time.monotonic() - started

    # 2. the instructor: a hub terminal's login shell finds the tools; collect from home
    shell = hs.login_shell(INSTRUCTOR, "command -v nbgrader cnnbook; nbgrader collect " + A)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert f"{hs.VENV}/bin/nbgrader" in shell.stdout and f"{hs.VENV}/bin/cnnbook" in shell.stdout
    for student in STUDENTS:
        assert (course / "submitted" / student / A / f"{A}.ipynb").exists(), student
    teacher = Person(browser, h, INSTRUCTOR, blocked)
    try:
        teacher.login()
        teacher.page.click("li.lm-MenuBar-item:has-text('Nbgrader')")
        items = teacher.page.locator(".lm-Menu:visible li.lm-Menu-item").all_inner_texts()
        teacher.page.keyboard.press("Escape")
        assert any("Formgrader" in i for i in items), items
        teacher.shot("5-instructor-lab")
        dialog, formgrader_score = _formgrader_autograde(teacher, FORMGRADER_STUDENT)
    finally:
        teacher.close()
    by_door = {"formgrader": {FORMGRADER_STUDENT: _gradebook_scores(course)[FORMGRADER_STUDENT]}}
    shell = hs.login_shell(INSTRUCTOR, f"cd ~/course && cnnbook autograde {A} --jobs 2 --no-progress")
    assert shell.returncode == 0, shell.stdout + shell.stderr
    by_door["cnnbook"] = _gradebook_scores(course)
    # nbgrader collect left submitted/ open to every account (0777); cnnbook closed it
    # and said so
    opened = [p for p in (course / "submitted").rglob("*") if p.stat().st_mode & 0o007]
    assert not opened, f"still open to other accounts after cnnbook autograde: {opened[:5]}"
    assert "submitted" in shell.stdout + shell.stderr, shell.stdout + shell.stderr
    print(f"\ngrades by door: {by_door}; Formgrader's row: {formgrader_score!r}; "
          f"its dialog: {dialog[:200]!r}")
    assert by_door["cnnbook"] == EXPECTED, by_door
    assert by_door["formgrader"][FORMGRADER_STUDENT] == EXPECTED[FORMGRADER_STUDENT], \
        (by_door, dialog)
    assert formgrader_score.split("/")[0].strip() == f"{EXPECTED[FORMGRADER_STUDENT]:g}", \
        formgrader_score

    # 3. feedback out; each student fetches hers and reads it
    # exactly the documented commands: the pages are 0644 in the course's private
    # folders, so release_feedback puts pages their students can read in the exchange
    shell = hs.login_shell(INSTRUCTOR, f"cd ~/course && cnnbook feedback {A} && "
                                       f"nbgrader release_feedback {A}")
    assert shell.returncode == 0, shell.stdout + shell.stderr
    hidden = _hidden_test_lines()
    pages = {}
    for student in STUDENTS:
        person = Person(browser, h, student, blocked)
        try:
            person.login()
            panel = person.assignment_list()
            row = panel.locator("#submitted_assignments_list .list_item:not(.nested_list_item)", has_text=A).first
            found = []
            deadline = time.monotonic() + 90
            click_again = 0.0
            while not found and time.monotonic() < deadline:
                # the list re-renders while it refreshes: a click it swallowed (seen on a
                # loaded CI machine) is made again, as a student would click again
                if time.monotonic() >= click_again:
                    row.get_by_role("button", name="Fetch Feedback").click()
                    click_again = time.monotonic() + 20
                found = sorted((homes[student] / A / "feedback").glob(f"*/{A}.html"))
                time.sleep(0.5)
            assert found, f"{student}: no feedback fetched"
            rel = found[-1].relative_to(homes[student])
            person.page.goto(f"{person.user_url}/files/{rel}")
            pages[student] = person.page.locator("body").inner_text()
            person.shot(f"8-{student.removeprefix('cnbk-')}-feedback")
        finally:
            person.close()
    assert "Likely mistake" in pages[BEN], pages[BEN][:3000]
    assert "bias" in pages[BEN].split("Likely mistake", 1)[1][:300]
    for student, text in pages.items():
        leaked = [ln for ln in hidden if ln in text]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"

    # 4. ada's account against ben's work, the gradebook and ben's feedback
    ben_home, exchange = homes[BEN], hub["exchange"]
    ben_fetched = sorted((ben_home / A / "feedback").glob(f"*/{A}.html"))[-1]
    sub = course / "submitted" / BEN / A
    fb = course / "feedback" / BEN / A
    others = [
        ("ben's notebook (home): read", "read", str(ben_home / A / f"{A}.ipynb")),
        ("ben's notebook (home): change", "append", str(ben_home / A / f"{A}.ipynb")),
        ("ben's assignment folder (home): create a file", "create", str(ben_home / A)),
        ("ben's fetched feedback (home): read", "read", str(ben_fetched)),
        ("ben's submission (submitted/): read", "read", str(sub / f"{A}.ipynb")),
        ("ben's submission (submitted/): create a file", "create", str(sub)),
        ("ben's submission (submitted/): swap the notebook", "delete", str(sub / f"{A}.ipynb")),
        ("ben's submission (submitted/): list", "list", str(sub)),
        ("ben's autograded notebook: read", "read",
         str(course / "autograded" / BEN / A / f"{A}.ipynb")),
        ("gradebook: read", "read", str(course / "gradebook.db")),
        ("gradebook: change", "append", str(course / "gradebook.db")),
        ("ben's feedback (course): read", "read", str(fb / f"{A}.html")),
        ("ben's submission_secret.txt (course feedback/): read", "read",
         str(fb / "submission_secret.txt")),
        ("ben's submission_secret.txt (submitted/): read", "read",
         str(sub / "submission_secret.txt")),
        ("exchange inbound: list the submissions", "list",
         str(exchange / hs.COURSE_ID / "inbound")),
        ("exchange feedback: list", "list", str(exchange / hs.COURSE_ID / "feedback")),
        ("exchange outbound: create a file", "create",
         str(exchange / hs.COURSE_ID / "outbound" / A)),
    ]
    for _, _, path in others:
        assert Path(path).exists(), f"the probe's target does not exist: {path}"
    results = _probe(ADA, others)
    print("ada's attempts:", json.dumps(results, indent=1))
    allowed = {label: r for label, r in results.items() if r == "allowed"}
    assert not allowed, f"a student reached another's work: {allowed}"
    # the same files are there to be read by their owners, and the release by everyone
    assert set(_probe(BEN, [o for o in others[:4] if o[1] == "read"]).values()) == {"allowed"}
    course_reads = [o for o in others[4:14] if o[1] == "read"]
    assert set(_probe(INSTRUCTOR, course_reads).values()) == {"allowed"}
    assert _probe(ADA, [("the release", "read", str(exchange / hs.COURSE_ID / "outbound" / A
                                                     / f"{A}.ipynb"))]) == {"the release": "allowed"}

    # Known, not this test's to fix: nbgrader's feedback page (cnnbook feedback) loads
    # MathJax 2 from cdnjs; blocked here, so the math is unrendered offline. Any other
    # request leaving the machine fails the test.
    cdn = [u for u in blocked if u.startswith("https://cdnjs.cloudflare.com/ajax/libs/mathjax/")]
    if cdn:
        print(f"feedback pages asked for MathJax from cdnjs ({len(cdn)} requests, blocked)")
    assert not [u for u in blocked if u not in cdn], f"requests left the machine: {blocked}"
    total = time.monotonic() - started
    venv = hub["venv"]
    made = "reused" if venv.reused else f"made in {venv.seconds:.0f} s"
    print(f"timings: {hub['timings']}, students {t_students:.0f} s, cycle {total:.0f} s, "
          f"venv {made}")
    assert total < 300, f"the hub cycle took {total:.0f} s"
