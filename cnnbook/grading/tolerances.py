"""The course's tolerances, in one place.

A value is correct when ``np.isclose(received, expected, rtol=RTOL, atol=ATOL * scale)``
holds for every entry, ``scale`` being the largest expected magnitude (at least 1):
the visible checks (:mod:`cnnbook.grading.checks`), the judge's verdicts (the same
checks) and the diagnosis of known mistakes (:mod:`cnnbook.grader.judging.diagnosis`,
:mod:`cnnbook.grading.likely_mistake`) compare with these unless a test cell passes its
own ``rtol``/``atol``.
"""

RTOL = 1e-6
ATOL = 1e-9
