"""nbgrader configuration of the course (run nbgrader from the repository root).

Instructors keep their gradebook outside the repository (gradebook.db is
git-ignored); tests pass ``--CourseDirectory.db_url=sqlite:////tmp/...``.
"""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "cnn-from-the-ground-up"
# Source notebooks with answers and hidden tests; the student release.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Seconds per cell. With the plain-loop reference answers every cell of ps01-ps06
# runs in well under a second, and so do the most naive seven-loop answers
# (tests/exercise_catalogue.py); ps07's training cell takes a few seconds with
# the course's layers and is budgeted at 60 s. 300 s leaves room for a slow
# machine and for unvectorized training code; tests/test_exercises_autograde.py
# fails if a reference cell ever takes more than a tenth of it.
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300

# Released stubs: nbgrader's default, which fails loudly until replaced.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# nbgrader validate (and the Validate button of JupyterLab, which reads this file
# from the folder where `jupyter lab` was started): show the test cells' messages
# whole. nbgrader cuts every line at Validator.width - 3 characters (90 by default,
# which cut the course's messages); cnnbook.grading wraps its messages at 100
# characters, except a hint's link to the book (up to 125 characters).
c.Validator.width = 140

# One grade whichever door: plain `nbgrader autograde` and Formgrader's Autograde button
# run nbgrader's Autograde converter, whose Execute step would run each student's code
# unsandboxed, as you. The course replaces it by the judge's pipeline (sandbox, judge,
# replay: what `cnnbook autograde` does) and records the outcome in cnnbook's side table
# (cnnbook/grader/doors.py). Formgrader reads this file only if its server loads it: see
# docs/instructors.md, "Formgrader and plain nbgrader".
c.Autograde.sanitize_preprocessors = [
    "cnnbook.grader.sanitizing.DropStrayCellMetadata",  # a student's cell stays theirs
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "cnnbook.grader.doors.JudgedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "cnnbook.grader.doors.RecordJudgement",
]

# Student data stays private on a shared server (cnnbook/grader/permissions.py repairs
# the folders; docs/instructors.md, "On a shared server"): autograded copies readable by
# you and your group only. Feedback pages are 0644 inside folders only you and your group
# can enter: `nbgrader release_feedback` copies a page's mode into the exchange, where its
# student must be able to read it (named by a hash only that student can compute).
c.Autograde.permissions = 440
c.GenerateFeedback.permissions = 644
