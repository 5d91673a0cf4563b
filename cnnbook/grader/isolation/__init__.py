"""Starting, limiting and reading back a sandbox (trusted side; runs no student code itself).

Modules
-------
bubblewrap     one job in bubblewrap with memory, CPU, file-size and wall-clock limits
executor       the seam between grading and running student code (``LocalExecutor``)
dask_executor  ``--cluster``: the sandboxes on a Dask cluster, jobs shipped as bytes
staging        a private copy of a submission, sanitized, and the job the sandbox runs
execution      what came back from a sandboxed run, rebuilt field by field (untrusted)
overlay        what the sandbox sees of the course package: no module that holds answers
"""
