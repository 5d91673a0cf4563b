"""Judging: decides grades and feedback in the trusted process; never runs student code.

Modules
-------
judge             the entry point: records the graded calls on the reference, then runs
                  the tests on the student's decoded results (one Verdict per test cell)
assignment_tests  an assignment's cells as the judge reads them (kinds, functions)
session           what answers each call of a student's function while tests run
running           running the reference's and the test cells (the seam the diagnosis uses)
decoding          the sandbox's result lines (untrusted) decoded into one CallOutcome per call
own_helpers       a function graded with the student's own helpers (``graded_with_reference``):
                  the reference replayed on their recorded results
verdicts          the decision on one test cell, and the failure's words
diagnosis         names the known mistake behind a failed test (``Likely mistake:``)
combined          several known mistakes in one answer: pairs, and a line for each call
visible_table     the visible checks' data: known mistakes' results on the visible inputs
misconceptions    the known mistakes: the loader of ``cnnbook/coursedata/misconceptions``
replay            nbgrader's Execute step, replaced: the sandbox's outputs and the verdicts
inert             student output made text in what the instructor opens; CSV cells no formula
"""
