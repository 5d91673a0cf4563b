"""Instructor tools behind the ``cnnbook`` command: nbgrader, sandboxed and in parallel.

Modules
-------
course     the course root through nbgrader's configuration, layout and API
errors     the tools' own exception types (the CLI maps them to exit codes)
release    ``cnnbook release``: generate into a new folder, replace the release on success
autograde  ``cnnbook autograde``: stage, sanitize, execute (in parallel), grade, record
interrupts Ctrl-C that nbgrader's log capture cannot swallow
executor   the one seam between grading and running student code (LocalExecutor)
dask_executor  ``--cluster``: the sandboxes on a Dask cluster, jobs shipped as bytes
sandbox    one job in bubblewrap with memory, CPU, file-size and wall-clock limits
runner     what runs inside the sandbox: nbgrader's Execute on one notebook
gradebook  everything written to the gradebook (parent process only), side table
feedback   ``cnnbook feedback``: feedback every graded student can fetch through the exchange
report     ``cnnbook report``: per-student x per-test table, lateness, roster, similarity
similarity code similarity of the answer cells (copydetect), for the instructor's judgement
cells      nbgrader's cell metadata, for code that writes source notebooks
samples    a tiny self-contained course and sample (honest and hostile) submissions
demo       ``cnnbook demo``: a demo class through the whole cycle
"""
