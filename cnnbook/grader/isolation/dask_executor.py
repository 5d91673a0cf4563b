"""Grading on a Dask cluster: ``cnnbook autograde ASSIGNMENT --cluster ADDRESS``.

:class:`DaskExecutor` is an :class:`~cnnbook.grader.isolation.executor.Executor` that runs the
sandboxed jobs on the workers of a `Dask <https://distributed.dask.org>`_ scheduler
(``tcp://host:8786``; Slurm through dask-jobqueue, Kubernetes through the
dask-kubernetes operator) or of a local cluster of N worker processes (``local:N``).
Dask Gateway clusters, reached through the gateway with TLS credentials, are not
supported by a plain address.

* **No shared disk.** A job travels as bytes: every file of its folder (``job.json``
  with the sanitized notebook, ``files/``). On the worker :func:`run_packed` writes it
  to a private temporary folder, runs
  :func:`cnnbook.grader.isolation.jobs.run_job` there (the same isolation engine
  and limits as on one machine) and returns every file of ``out/``, the sandbox log and
  the :class:`~cnnbook.grader.isolation.engine.RunOutcome` as plain data; the parent
  writes them into its own ``job_dir/out``.
* **Workers only run sandboxes.** The parent (the ``cnnbook`` process) keeps the
  gradebook and grades each result as it arrives, so the gradebook has one writer.
* **Faults.** A worker that dies mid-job (node lost, ``kill -9``, out of memory) costs
  nothing: the scheduler runs its jobs again elsewhere, and each job's result is taken
  once. A job whose worker dies again and again (the scheduler's
  ``distributed.scheduler.allowed-failures``, 3 by default, so at most 4 runs) is given
  up with ``KilledWorker`` and comes back as an executor error: the submission is
  recorded as ``sandbox_error`` with that reason. Losing the scheduler raises
  :class:`ClusterError`; every result already taken is graded and recorded, and running
  the command again grades the rest.
* **Work is taken lazily**: about three jobs per worker thread are on the cluster at a
  time, so workers that join mid-run (adaptive scaling) get work at once, and the
  parent never holds the whole class in memory.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path, PurePosixPath

from cnnbook.grader.isolation.bubblewrap import Bubblewrap
from cnnbook.grader.isolation.engine import Isolation, RunOutcome
from cnnbook.grader.isolation.executor import Job, JobResult
from cnnbook.grader.isolation.jobs import run_job
from cnnbook.grader.isolation.limits import Limits

KILLED_WORKER_HINT = (
    "the Dask worker running this submission died every time it was tried (KilledWorker): "
    "most likely the submission exhausts the node's memory or crashes it; not retried "
    "further in this run"
)


class ClusterError(RuntimeError):
    """The cluster could not be reached, or was lost mid-run (not a student's fault)."""


# --------------------------------------------------------------------------- job as bytes


def pack_job(job_dir: Path, skip: tuple[str, ...] = ("out",)) -> dict[str, bytes]:
    """Every file of a job folder except its results (``skip``), by relative POSIX path
    (folders, empty ones included, as ``path/``)."""
    job_dir = Path(job_dir)
    files = {}
    for path in sorted(job_dir.rglob("*")):
        rel = path.relative_to(job_dir)
        if rel.parts[0] in skip or path.is_symlink():
            continue
        if path.is_dir():
            files[rel.as_posix() + "/"] = b""
        elif path.is_file():
            files[rel.as_posix()] = path.read_bytes()
    return files


def _safe_target(root: Path, rel: str) -> Path:
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise ValueError(f"refusing the path {rel!r}")
    return root.joinpath(*p.parts)


def unpack(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        target = _safe_target(root, rel)
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


#: Whether each isolation engine works on this worker (checked once per engine).
_WORKER_AVAILABLE: dict[str, bool] = {}
_SWEPT = False


def _jobs_root() -> Path:
    """``$TMPDIR/cnnbook-jobs``, where this worker's job folders go. The first job of a
    worker process removes the folders of workers that died (``kill -9`` leaves them
    behind, with a student's notebook in them): their names end in a dead process id."""
    global _SWEPT
    root = Path(tempfile.gettempdir()) / "cnnbook-jobs"
    root.mkdir(mode=0o700, exist_ok=True)
    if not _SWEPT:
        _SWEPT = True
        for folder in root.iterdir():
            try:
                pid = int(folder.name.rsplit("-", 2)[-2])
                os.kill(pid, 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
            except (ValueError, IndexError, PermissionError):
                continue
    return root


def run_packed(files: dict[str, bytes], limits: Limits, isolation: Isolation, label: str) -> dict:
    """Run one packed job (on a Dask worker): plain data in, plain data out.

    Returns ``{"outcome": {...}, "out": {path: bytes}, "sandbox_log": bytes, "worker":
    host}``, or ``{"error": message, "worker": host}`` when the job could not be run.
    """
    host = socket.gethostname()
    try:
        if isolation.sandboxed:
            if isolation.name not in _WORKER_AVAILABLE:
                _WORKER_AVAILABLE[isolation.name] = isolation.available()
            if not _WORKER_AVAILABLE[isolation.name]:
                return {
                    "error": f"the worker on {host} has no working {isolation.name}: "
                    "install it there, or grade with --no-sandbox (trusted code only)",
                    "worker": host,
                }
        jobs_root = _jobs_root()
        safe = "".join(c if c.isalnum() else "_" for c in label)[:60]
        with tempfile.TemporaryDirectory(prefix=f"{safe}-{os.getpid()}-", dir=jobs_root) as tmp:
            job_dir = Path(tmp)
            unpack(job_dir, files)
            outcome = run_job(job_dir, limits, isolation)
            out_dir = job_dir / "out"
            out = pack_job(out_dir, skip=())
            log = job_dir / "sandbox.log"
            return {
                "outcome": asdict(outcome),
                "out": out,
                "sandbox_log": log.read_bytes() if log.is_file() else b"",
                "worker": host,
            }
    except Exception as e:  # noqa: BLE001 - reported as the executor's error, never raised
        return {"error": f"on the worker on {host}: {type(e).__name__}: {e}", "worker": host}


def receive(job: Job, result: dict) -> JobResult:
    """Write a worker's result into the parent's ``job_dir`` (``out/``, ``sandbox.log``)."""
    if "error" in result:
        return JobResult(job, None, result["error"])
    out_dir = Path(job.job_dir) / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    unpack(out_dir, result["out"])
    (Path(job.job_dir) / "sandbox.log").write_bytes(result.get("sandbox_log", b""))
    return JobResult(job, RunOutcome(**result["outcome"]))


# --------------------------------------------------------------------------- the executor


def parse_cluster(spec: str) -> tuple[str, int | None]:
    """``local:N`` -> ("local", N); a scheduler address -> (address, None)."""
    if spec.startswith("local:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"expected local:N with N >= 1 worker processes, got {spec!r}")
        return "local", n
    if "://" not in spec:
        spec = f"tcp://{spec}"
    return spec, None


class DaskExecutor:
    """Runs jobs on a Dask cluster; see the module's docstring.

    ``cluster`` is a scheduler address (``tcp://host:8786``) or ``local:N``.
    """

    def __init__(
        self,
        cluster: str,
        limits: Limits | None = None,
        isolation: Isolation | None = None,
        connect_timeout: float = 20.0,
        per_thread: int = 3,
    ):
        self.address, self.local_workers = parse_cluster(cluster)
        self.limits = limits or Limits()
        self.isolation = isolation or Bubblewrap()
        self.connect_timeout = connect_timeout
        self.per_thread = per_thread
        self.describe = cluster

    def _connect(self):
        from distributed import Client, LocalCluster

        cluster = None
        try:
            if self.local_workers:
                import dask

                dask.config.set({"distributed.scheduler.worker-saturation": 1.0})
                cluster = LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                client = Client(cluster, timeout=self.connect_timeout)
            else:
                client = Client(self.address, timeout=self.connect_timeout)
        except Exception as e:  # OSError, TimeoutError, ...
            if cluster is not None:
                cluster.close()
            raise ClusterError(
                f"could not reach the Dask scheduler at {self.address}: {type(e).__name__}: {e}"
            ) from e
        return client, cluster

    def _threads(self, client) -> int:
        try:
            return sum(client.nthreads().values())
        except Exception:  # noqa: BLE001 - counted again on the next round
            return 0

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        # distributed logs every failed reconnection with a traceback; ClusterError says it
        import distributed  # noqa: F401 - configures its loggers when first imported

        quiet = [logging.getLogger(n) for n in ("distributed", "distributed.client")]
        levels = [log.level for log in quiet]
        for log in quiet:
            log.setLevel(logging.CRITICAL)
        try:
            yield from self._run(jobs)
        finally:
            for log, level in zip(quiet, levels, strict=True):
                log.setLevel(level)

    def _run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        from distributed import wait
        from distributed.scheduler import KilledWorker

        client, cluster = self._connect()
        source = iter(jobs)
        running: dict = {}  # future -> job
        exhausted = False
        taken = 0
        threads, counted = 0, 0.0

        def top_up() -> None:
            nonlocal exhausted
            batch = []
            while not exhausted and len(running) + len(batch) < max(3, self.per_thread * threads):
                job = next(source, None)
                if job is None:
                    exhausted = True
                else:
                    batch.append(job)
            if not batch:
                return
            # One task group for all jobs ("cnnbook-job"), and the first window sent as
            # one graph: a group larger than twice the threads is "root-ish", so the
            # scheduler queues its tasks and hands each worker only what it runs (with
            # worker-saturation 1.0), and a worker that dies takes no queued bystander's
            # retry with it. Sent one by one, the first few would be placed at once.
            futures = client.map(
                run_packed,
                [pack_job(job.job_dir) for job in batch],
                [self.limits] * len(batch),
                [self.isolation] * len(batch),
                [f"{job.student}-{job.notebook}" for job in batch],
                key=[f"cnnbook-job-{uuid.uuid4().hex}" for _ in batch],
                pure=False,
            )
            running.update(zip(futures, batch, strict=True))

        def lost(why: str) -> ClusterError:
            why = why.strip().splitlines()[0] if why.strip() else "?"
            return ClusterError(
                f"lost the Dask scheduler at {self.address} ({why}): the {taken} result(s) "
                f"that came back are graded and recorded, {len(running)} job(s) were still "
                "out; run the same command again to grade the rest"
            )

        try:
            while True:
                if time.monotonic() - counted > 2.0:
                    threads, counted = self._threads(client), time.monotonic()
                top_up()
                if not running:
                    break
                if client.status not in ("running", "connecting", "newly-created"):
                    raise lost(f"client {client.status}")
                try:
                    done, _ = wait(list(running), timeout=2.0, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                except Exception as e:  # noqa: BLE001 - the connection itself failed
                    raise lost(f"{type(e).__name__}: {e}") from e
                for future in done:
                    job = running.pop(future)
                    if future.status == "finished":
                        try:
                            result = future.result(timeout=60)
                        except Exception as e:  # noqa: BLE001 - lost with its worker, or
                            if client.status != "running":  # with the scheduler
                                running[future] = job
                                raise lost(f"{type(e).__name__}: {e}") from e
                            time.sleep(1.0)
                            if future.status not in ("finished", "error", "cancelled"):
                                running[future] = job  # the scheduler runs it again
                                continue
                            result = {"error": f"Dask: {type(e).__name__}: {e}"}
                        try:
                            received = receive(job, result)
                        except Exception as e:  # noqa: BLE001 - a malformed result
                            received = JobResult(job, None, f"bad result: {e}")
                        taken += 1
                        yield received
                    elif future.status == "error":
                        exc = future.exception(timeout=10)
                        if isinstance(exc, KilledWorker):
                            error = KILLED_WORKER_HINT
                        else:
                            error = f"Dask: {type(exc).__name__}: {exc}"
                        taken += 1
                        yield JobResult(job, None, error)
                    elif future.status == "cancelled":  # the scheduler forgot it: lost
                        running[future] = job
                        raise lost(f"job {future.key} was cancelled")
                    else:  # "lost": its result died with a worker; the scheduler reruns it
                        running[future] = job
                        time.sleep(0.5)
                        continue
                    future.release()
        finally:
            try:
                if running:
                    client.cancel(list(running), force=True)
            except Exception:  # noqa: BLE001 - the scheduler may be gone already
                pass
            client.close(timeout=10)
            if cluster is not None:
                cluster.close(timeout=30)
