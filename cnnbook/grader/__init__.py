"""Instructor tools behind the ``cnnbook`` command: nbgrader, sandboxed and in parallel.

INSTRUCTOR SIDE: nothing here runs inside the sandbox except ``sandboxed/``. The
folders follow the trust boundary (docs/layout.md):

sandboxed/  runs INSIDE the sandbox beside the student's code (copied whole)
isolation/  starts, limits and reads back a sandbox (bubblewrap)
judging/    decides grades and feedback; never runs student code

Modules (the commands, on top of the three folders)
-------
release     ``cnnbook release``: generate into a new folder, replace the release on success
autograde   ``cnnbook autograde``: stage, sanitize, execute (in parallel), judge, record
check       ``cnnbook check``: a student's score on the visible tests before submitting
feedback    ``cnnbook feedback``: feedback every graded student can fetch through the exchange
report      ``cnnbook report``: per-student x per-test table, lateness, roster, similarity
report_misconceptions  the report's part on the known mistakes the class holds
report_charts  the report's charts: pass rates per test, score distribution
report_submissions  what the report reads from each submission folder (never through a link)
status_table  ``autograde_status.csv``: how grading ended for every student
doors       plain ``nbgrader autograde`` and Formgrader's Autograde button through the judge
sanitizing  nbgrader's sanitize steps, the course's first: a student's cell stays theirs
drift       gradebook scores or autograded copies that are no longer the judge's
rerun       which submissions a re-run grades again (changed, failed, drifted)
permissions student data no other account can read or change, on a shared server
lms         grade files for Canvas's and Moodle's gradebook imports
demo        ``cnnbook demo``: a demo class through the whole cycle

Modules (the course, the gradebook, shared types)
-------
course      the course root through nbgrader's configuration, layout and API
assignments the graded assignments (course data): the one list tools, tests and docs read
cells       nbgrader's notebook conventions: cell metadata, cell kinds, markers
gradebook   everything written to the gradebook (parent process only), side table
gradebook_url  the gradebook's address (SQLite or not, lock timeout) and its errors in words
outcomes    how grading a submission ended: statuses and outcomes, as types
errors      the tools' own exception types (the CLI maps them to exit codes)
interrupts  Ctrl-C that nbgrader's log capture cannot swallow
similarity  code similarity of the answer cells (copydetect), for the instructor's judgement
samples     a tiny self-contained course and honest submissions, for ``cnnbook demo``
"""
