"""Starting, limiting and reading back a sandbox (trusted side; runs no student code itself).

Modules
-------
engine         the Isolation interface (an engine is one type), NoIsolation, RunOutcome
bubblewrap     the bubblewrap engine: the one module that names ``bwrap``
jobs           running one job under any engine: limits, wall clock, result stream
limits         the resource limits of one job, set with prlimit
cgroups        the cgroup of one job: processes, memory (tmpfs included), CPU share
process_cap    how jobs' processes are capped here (cgroup, RLIMIT_NPROC or none)
executor       the seam between grading and running jobs (``LocalExecutor``)
dask_executor  ``--cluster``: the sandboxes on a Dask cluster, jobs shipped as bytes
staging        a private copy of a submission, sanitized, and the job the sandbox runs
job_folder     one job's self-contained folder: spec, student code, files, package, calls
capabilities   what this machine's isolation cannot limit, said before grading starts
execution      what came back from a sandboxed run, rebuilt field by field (untrusted)
overlay        what the sandbox sees of the course package: no module that holds answers
"""
