"""Judging: decides grades and feedback in the trusted process; never runs student code.

Modules
-------
judge           records the graded calls on the reference, then runs the tests on the
                student's decoded results
diagnosis       names the known mistake behind a failed test (``Likely mistake:``)
misconceptions  the catalogue of known mistakes (course data and its loader)
replay          nbgrader's Execute step, replaced: the sandbox's outputs and the verdicts
"""
