"""The course data (cnnbook/coursedata): every file loads, and the lists agree with the
repository (misconceptions, assignments, chapters). Costs about a second."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnbook.coursedata import CourseDataError
from cnnbook.grader import assignments
from cnnbook.grader.isolation import overlay
from cnnbook.grader.judging import misconceptions
from cnnbook.grader.report_misconceptions import class_counts
from cnnbook.grading import book
from tests.exercise_harness import ROOT, nbgrader_meta, read_notebook, solution_path

NAMES = assignments.NAMES


def answer_cells(assignment: str) -> dict[str, str]:
    """grade_id -> the reference answer cell, its ### BEGIN/END SOLUTION lines included."""
    return {
        nbgrader_meta(c)["grade_id"]: c.source
        for c in read_notebook(solution_path(assignment)).cells
        if nbgrader_meta(c).get("solution") and c.cell_type == "code"
    }


# ------------------------------------------------------------------ misconceptions


def test_every_misconception_loads_with_its_invariants():
    ms = misconceptions.MISCONCEPTIONS
    assert len(ms) >= 96
    ids = [m.id for m in ms] + [a for m in ms for a in m.aliases]
    assert len(ids) == len(set(ids))
    for m in ms:
        assert m.assignment in NAMES, m.id
        assert m.id.split(".")[:2] == [m.assignment[:4], m.cell], m.id
        # ids are whole words: the slug of the name (an apostrophe dropped or a hyphen),
        # or a shortening of it at a word end
        slugs = [re.sub(r"[^a-z0-9]+", "-", name).strip("-") + "-"
                 for name in (m.name.lower(), m.name.lower().replace("'", ""))]  # fmt: skip
        assert any(s.startswith(m.id.split(".")[2] + "-") for s in slugs), m.id
        assert misconceptions.BY_ID[m.id] is m
        for alias in m.aliases:
            assert misconceptions.BY_ID[alias] is m
        assert m.origin.endswith(f"{m.assignment}.toml")
        assert (m.code is None) != (not m.edits), m.id
        assert m.says.endswith(".") and "\n" not in m.says, m.id
        # the judge never diagnoses a stub (diagnosis.Diagnosis.diagnose_cell): no mistake may
        # raise what the stub raises
        written = (m.code or "") + "".join(new for _, new in m.edits)
        assert "NotImplementedError" not in written, m.id


def test_every_edit_is_found_exactly_once_in_the_reference_answer():
    for assignment in NAMES:
        cells = answer_cells(assignment)
        for m in misconceptions.for_assignment(assignment, diagnosable=False):
            assert m.cell in cells, m.id
            assert m.source(cells[m.cell]) != cells[m.cell], m.id


def test_every_reread_names_a_section_of_its_chapter():
    for m in misconceptions.MISCONCEPTIONS:
        path, _ = book.CHAPTERS[m.reread[0]]
        headings = re.findall(r"^## (.+?)\s*$", (ROOT / f"{path}.md").read_text(), re.M)
        assert m.reread[1] in headings, (m.id, m.reread)


def test_renamed_ids_keep_their_former_id():
    old = "ps02.conv_output_size.output-size-with-the-ceiling-instead-of-the-floo"
    m = misconceptions.BY_ID[old]
    assert m.id == "ps02.conv_output_size.output-size-with-the-ceiling-instead-of-the-floor"
    # a gradebook holding both the former and the new id counts one misconception
    rows = class_counts(
        [{"misconception": old, "student": "s1", "cell": "t1"},
         {"misconception": m.id, "student": "s2", "cell": "t2"},
         {"misconception": "ps02.gone.retired", "student": "s3", "cell": "t1"},
         # a line naming two mistakes counts each
         {"misconception": f"{m.id}+ps02.conv_output_size.forgot-the-1", "student": "s4",
          "cell": "t3"}],
        submissions=4,
    )  # fmt: skip
    assert [(r["misconception"], r["students"]) for r in rows] == [
        (m.id, 3), ("ps02.conv_output_size.forgot-the-1", 1), ("ps02.gone.retired", 1)
    ]  # fmt: skip


GOOD = """
assignment = "ps02_convolution"

[[mistake]]
id = "ps02.conv_output_size.forgot-the-1"
cell = "conv_output_size"
name = "forgot the + 1"
functions = ["conv_output_size"]
says = "It forgets a window."
reread = ["03", "The output size"]
[[mistake.edit]]
old = '''stride + 1'''
new = '''stride'''
"""


def write(tmp_path: Path, text: str, name: str = "ps02_convolution.toml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace('says = "It', 'sayz = "It'), "unknown field(s) sayz"),
        (GOOD.replace('cell = "conv_output_size"\n', ""), "missing field(s) cell"),
        (GOOD + GOOD.split("\n", 2)[2], "duplicate id 'ps02.conv_output_size.forgot-the-1'"),
        (GOOD.replace("forgot-the-1", "forgot-the-"), "id must read ps02.conv_output_size."),
        (GOOD.replace('old = ', 'odl = '), "edit 1: unknown field(s) odl"),
        (GOOD.replace('"03"', '"99"'), "reread must be"),
        (GOOD.replace("[[mistake.edit]]", "code = '''x = 1'''\n[[mistake.edit]]"),
         "both code and edit"),
        (GOOD.split("[[mistake.edit]]")[0], "neither code nor an edit"),
        (GOOD.replace("[[mistake]]", "[mistake]"), "must be [[mistake]] tables"),
        (GOOD.replace('says = "It forgets a window."', "says = 'It's'"), "not valid TOML"),
        (GOOD.replace('functions = ["conv_output_size"]', 'functions = "conv_output_size"'),
         "functions must be a list"),
    ],
)
def test_a_bad_entry_is_named_with_its_file(tmp_path, text, message):
    folder = write(tmp_path, text)
    with pytest.raises(CourseDataError) as e:
        misconceptions.load(folder)
    assert message in str(e.value)
    assert "ps02_convolution.toml" in str(e.value)


def test_an_edit_not_found_exactly_once_names_file_and_id(tmp_path):
    (m,) = misconceptions.load(write(tmp_path, GOOD))
    with pytest.raises(CourseDataError, match=r"ps02_convolution.toml: ps02.conv_output_size"
                                              r".forgot-the-1: expected 'stride \+ 1' exactly "
                                              r"once .* found 2"):  # fmt: skip
        m.source("a = stride + 1\nb = stride + 1\n")
    assert m.source("n // stride + 1\n") == "n // stride\n"


def test_a_file_must_be_named_after_its_assignment(tmp_path):
    with pytest.raises(CourseDataError, match="not named after it"):
        misconceptions.load(write(tmp_path, GOOD, "ps03_pooling.toml"))


# ------------------------------------------------------------------ assignments


def test_every_assignment_has_its_source_solution_and_release():
    assert NAMES[0] == "ps01_input_tensors" and len(NAMES) >= 7
    for name in NAMES:
        assert (ROOT / "tools" / "exercise_sources" / f"{name}.py").is_file(), name
        assert (ROOT / "solutions" / name / f"{name}.ipynb").is_file(), name
        assert (ROOT / "exercises" / name / f"{name}.ipynb").is_file(), name
    for a in assignments.ASSIGNMENTS:
        assert set(a.chapters) <= set(book.CHAPTERS), a.name
    sources = {p.stem for p in (ROOT / "tools" / "exercise_sources").glob("ps*.py")}
    assert sources == set(NAMES), "a source module that is not in assignments.toml"


def test_the_readme_table_is_the_assignment_list():
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `(ps\d\d_\w+)` \| (.+?) \| ([\d, ]+) \|$", readme, re.M)
    expected = [
        (a.name, a.implements, ", ".join(str(int(c)) for c in a.chapters))
        for a in assignments.ASSIGNMENTS
    ]
    assert rows == expected


# ------------------------------------------------------------------ chapters


def test_chapters_data_is_what_the_hints_use():
    assert book.CHAPTERS["03"] == ("chapters/03_padding_stride", "Padding and stride")
    assert book.hint("03", "the output size").startswith(
        "Hint: reread 'Padding and stride', section 'The output size' "
        "(chapters/03_padding_stride.md, https://"
    )
    for number, (path, _) in book.CHAPTERS.items():
        assert (ROOT / f"{path}.md").is_file(), number


def test_the_sandbox_gets_the_chapters_but_never_the_misconceptions(tmp_path):
    dest = overlay.build(tmp_path / "cnnbook")
    assert (dest / "coursedata" / "chapters.toml").is_file()
    assert (dest / "coursedata" / "__init__.py").is_file()
    assert not (dest / "coursedata" / "misconceptions").exists()
    assert not list(dest.rglob("*misconception*"))
