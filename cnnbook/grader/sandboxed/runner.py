"""Executes ONE student notebook. Runs *inside* the sandbox, as its own process.

Protocol (small, so that a cluster node can run it too):

* standard input: one JSON object ``{"spec": {...}, "notebook": {...}}`` (the spec is a
  :class:`~cnnbook.grader.sandboxed.job_spec.JobSpec`). The notebook (the student's code
  and the locked set-up cells; test and driver cells emptied, so no test code enters
  the sandbox) never touches the sandbox's disk.
  With ``"calls"`` (the trusted judge's inputs, see :mod:`cnnbook.grader.judging.judge`), one
  more cell runs after the notebook: :mod:`cnnbook.grader.sandboxed.harness` calls the student's
  functions on those inputs and writes plain-data results to a file.
* standard output: JSON lines. ``{"type": "cell", "index", "execution_count",
  "outputs"}`` as soon as each cell finishes, so that a kernel that dies or a job that
  is killed still leaves the cells it finished; ``{"type": "call", "data": {...}}``
  for each graded call that finished (read back from the harness's file); then
  ``{"type": "result", "status": "ok" | "kernel_died" | "error", "message"}``. No
  result line: killed from outside.

The kernel (student code) does not inherit that channel: its stdout/stderr go to a log
file in the working folder, and this process makes itself non-dumpable, so the kernel
cannot open ``/proc/<runner>/fd`` or read the runner's memory either. What the kernel
sends over Jupyter's own messages is still the student's to shape, as in any nbgrader
setup: the parent treats everything from here as untrusted data.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from cnnbook.grader.sandboxed.job_spec import JobSpec

# jsonschema (through nbformat) imports optional format checkers, and rfc3987_syntax
# builds a grammar at import time: seconds of CPU per notebook under load, for format
# checks the runner never makes (it validates nothing). Blocked, they are skipped.
for _name in (
    "rfc3987_syntax",
    "rfc3986_validator",
    "rfc3339_validator",
    "arrow",
    "isoduration",
    "webcolors",
    "jsonpointer",
    "uri_template",
    "fqdn",
):
    sys.modules.setdefault(_name, None)

# Error messages are kept but shortened to this many characters.
MAX_ERROR_CHARS = 20_000
# The harness's results are read back up to this size (the parent caps them again).
MAX_CALL_RESULTS = 256 * 1024 * 1024
CALLS_FILE = ".cnnbook-calls.json"
RESULTS_FILE = ".cnnbook-results.jsonl"


def harness_cell_source(calls_path: str, results_path: str) -> str:
    return (
        "from cnnbook.grader.sandboxed.harness import run_calls as _cnnbook_run_calls\n"
        f"_cnnbook_run_calls(globals(), {calls_path!r}, {results_path!r})"
    )


class Channel:
    """The runner's private line to the parent (a dup of the original stdout)."""

    def __init__(self, fd: int):
        self.f = os.fdopen(fd, "w", buffering=1)

    def send(self, obj: dict) -> None:
        self.f.write(json.dumps(obj) + "\n")
        self.f.flush()


CHANNEL: Channel | None = None


def _make_private() -> None:
    """Non-dumpable: same-user processes (the kernel) cannot ptrace us or open our fds."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


# nbgrader's Execute preprocessor (nbgrader/preprocessors/execute.py, 0.9) is an
# nbclient NotebookClient with these settings and the on_cell_executed hook below. The
# runner re-creates it on nbclient alone, because importing nbgrader (server extensions,
# exchange, SQLAlchemy) costs seconds of CPU per notebook; tests/test_grader_sandboxed_runner.py
# checks that the two agree.
NBGRADER_EXECUTE = {
    "timeout": 30,
    "interrupt_on_timeout": True,
    "allow_errors": True,
    "raise_on_iopub_timeout": True,
    "error_on_timeout": {
        "ename": "CellTimeoutError",
        "evalue": "",
        "traceback": ["\x1b[0;31mCellTimeoutError\x1b[0m: No reply from kernel before timeout"],
    },
    "extra_arguments": [],
}


def _make_executor_class():
    from nbclient import NotebookClient
    from nbformat import NotebookNode
    from nbformat.v4 import new_output

    class SandboxExecute(NotebookClient):
        """nbgrader's Execute, plus an output cap and a report after every cell."""

        max_output_bytes = 4_000_000

        def __init__(self, nb, **kwargs):
            super().__init__(nb, **kwargs)
            self._used = 0
            self._marked: set[tuple[int, str]] = set()

        def output(self, outs, msg, display_id, cell_index):
            msg_type = msg.get("msg_type")
            content = msg.get("content", {})
            if msg_type == "error":
                # Never dropped: an error is what makes a test cell score 0.
                content["evalue"] = str(content.get("evalue", ""))[:MAX_ERROR_CHARS]
                content["traceback"] = [
                    str(line)[:MAX_ERROR_CHARS] for line in content.get("traceback", [])[:200]
                ]
                return super().output(outs, msg, display_id, cell_index)
            size = len(json.dumps(content))
            if self._used + size <= self.max_output_bytes:
                self._used += size
                return super().output(outs, msg, display_id, cell_index)
            if msg_type == "execute_result":  # kept, short: it can carry partial credit
                data = content.get("data", {})
                content["data"] = {"text/plain": str(data.get("text/plain", ""))[:1000]}
                return super().output(outs, msg, display_id, cell_index)
            # Over the budget: dropped, leaving one marker per cell and stream. A dropped
            # stderr write still leaves stderr output, so nbgrader grades the cell the same.
            name = content.get("name", "stdout") if msg_type == "stream" else "stdout"
            if (cell_index, name) not in self._marked:
                self._marked.add((cell_index, name))
                outs.append(
                    new_output(
                        "stream",
                        name=name,
                        text=f"\n[cnnbook: output limit of {self.max_output_bytes} bytes "
                        "reached; further output dropped]\n",
                    )
                )
            return None

        def on_cell_executed(self, **kwargs):
            # nbgrader's Execute.on_cell_executed: a timeout leaves no error output of its
            # own, so the error of the reply is added (and the cell scores 0)
            cell = kwargs["cell"]
            reply = kwargs["execute_reply"]
            if reply["content"]["status"] == "error":
                recorded = any(
                    o.output_type == "error" and o.ename == reply["content"]["ename"]
                    for o in cell.outputs
                )
                if not recorded:
                    error = NotebookNode(output_type="error")
                    error.ename = reply["content"]["ename"]
                    error.evalue = reply["content"]["evalue"]
                    error.traceback = reply["content"]["traceback"]
                    if error.traceback == []:
                        error.traceback = [
                            "ERROR: An error occurred while showtraceback was disabled"
                        ]
                    cell.outputs.append(error)
            CHANNEL.send(
                {
                    "type": "cell",
                    "index": kwargs["cell_index"],
                    "execution_count": cell.get("execution_count"),
                    "outputs": cell.get("outputs", []),
                }
            )

    return SandboxExecute


def main() -> int:
    global CHANNEL
    _make_private()
    CHANNEL = Channel(os.dup(1))  # os.dup: not inherited by the kernel (PEP 446)
    payload = json.loads(sys.stdin.buffer.read())
    spec = JobSpec.from_json(payload["spec"])
    work = Path(spec.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    Path(os.environ.get("TMPDIR", "/tmp")).mkdir(parents=True, exist_ok=True)
    log_path = work.parent / ".kernel.log"
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    try:
        status, message = _execute(payload, spec, work)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which records it
        status, message = "error", f"{type(e).__name__}: {e}"[:2000]
    try:
        with open(log_path, "rb") as f:
            f.seek(max(0, os.path.getsize(log_path) - 2000))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        tail = ""
    CHANNEL.send({"type": "result", "status": status, "message": message, "log_tail": tail})
    return 0


def _execute(payload: dict, spec: JobSpec, work: Path) -> tuple[str, str]:
    files = spec.files_dir
    if files and Path(files).is_dir():
        shutil.copytree(files, work, dirs_exist_ok=True)

    import nbformat
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.from_dict(payload["notebook"])
    calls = payload.get("calls")
    results_path = work.parent / RESULTS_FILE
    if calls:
        calls = dict(calls, call_timeout=spec.call_timeout)
        calls_path = work.parent / CALLS_FILE
        calls_path.write_text(json.dumps(calls))
        results_path.unlink(missing_ok=True)
        nb.cells.append(
            nbformat.v4.new_code_cell(harness_cell_source(str(calls_path), str(results_path)))
        )
    cls = _make_executor_class()
    settings = {**NBGRADER_EXECUTE}
    allowed = set(cls.class_trait_names())
    settings.update({k: v for k, v in spec.execute.items() if k in allowed})
    # every output is in once the last cell is idle, and the sandbox is thrown away
    # next: no need for nbclient's graceful kernel shutdown (up to seconds of waiting)
    settings["shutdown_kernel"] = "immediate"
    if calls:
        # the graded calls are one cell: it may take as long as the whole job (each call
        # has its own limit, see harness.run_calls); every other cell has nbgrader's
        cell_timeout = settings.get("timeout")
        harness_index = len(nb.cells) - 1

        def timeout_for(cell):
            if cell is nb.cells[harness_index]:
                return int(spec.harness_timeout or 3600)
            return cell_timeout

        settings["timeout_func"] = timeout_for
    executor = cls(nb, resources={"metadata": {"path": str(work)}}, **settings)
    executor.max_output_bytes = int(spec.max_output_bytes)
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    os.environ["CNNBOOK_RUNNER"] = "1"  # the sandbox's kernel (cnnbook.grading.door_guard)
    try:
        executor.execute()
    except DeadKernelError as e:
        return "kernel_died", str(e)[:2000]
    except Exception as e:  # noqa: BLE001
        msg = f"{type(e).__name__}: {e}"[:2000]
        return ("kernel_died" if "kernel died" in msg.lower() else "error"), msg
    finally:
        if calls:
            _send_call_results(results_path)
    return "ok", ""


def _send_call_results(path: Path) -> None:
    """Forward the harness's result lines (untrusted: the parent decodes them strictly)."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if not path.is_file() or path.is_symlink():
        return
    sent = 0
    with open(path, "rb") as f:
        for raw in f:
            sent += len(raw)
            if sent > MAX_CALL_RESULTS or sent > size:
                break
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            CHANNEL.send({"type": "call", "data": data})


if __name__ == "__main__":
    sys.exit(main())
