"""Code that runs INSIDE the sandbox, beside the student's code (copied there whole).

Nothing here decides a grade: it runs the student's notebook and returns plain data.

Modules
-------
runner     executes one student notebook (nbgrader's Execute), then the graded calls
harness    calls the student's functions on the judge's inputs, in the student's kernel
helper_calls  records the student's own helper calls during a graded call (names only come in)
plaindata  the wire format back to the judge: JSON plus ``.npy`` blobs, never pickles
job_spec   the job spec the parent sends the runner, as a typed record
"""
