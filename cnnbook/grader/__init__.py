"""Instructor tools behind the ``cnnbook`` command: nbgrader, sandboxed and in parallel.

Modules
-------
course     the course root through nbgrader's configuration, layout and API
autograde  ``cnnbook autograde``: stage, sanitize, execute (in parallel), grade, record
executor   the one seam between grading and running student code (LocalExecutor)
dask_executor  ``--cluster``: the sandboxes on a Dask cluster, jobs shipped as bytes
sandbox    one job in bubblewrap with memory, CPU, file-size and wall-clock limits
runner     what runs inside the sandbox: nbgrader's Execute on one notebook
gradebook  everything written to the gradebook (parent process only), side table
report     ``cnnbook report``: grades CSV, test pass rates, histogram, HTML summary
cells      nbgrader's cell metadata, for code that writes source notebooks
samples    a tiny self-contained course and sample (honest and hostile) submissions
demo       ``cnnbook demo``: a demo class through the whole cycle
"""
