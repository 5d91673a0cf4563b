"""What came back from a sandboxed run: the cells' outputs, the graded calls' results,
and how the run ended. Everything here is untrusted data from the sandbox, rebuilt
field by field.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from pathlib import Path

from nbformat.v4 import new_output

from cnnbook.grader.outcomes import Status

NOT_EXECUTED = "CnnbookNotExecuted"
# Outputs that would run the student's JavaScript in the instructor's browser (formgrader,
# feedback): dropped. Grades never depend on display outputs.
SCRIPT_TYPES = {"application/javascript", "text/javascript", "application/x-javascript"}


def clean_output(o) -> dict | None:
    """Rebuild one output from untrusted JSON, keeping only well-formed fields."""
    if not isinstance(o, dict):
        return None

    def text(v):
        if isinstance(v, list):
            return "".join(str(x) for x in v)
        return str(v)

    kind = o.get("output_type")
    if kind == "stream":
        name = o.get("name") if o.get("name") in ("stdout", "stderr") else "stdout"
        return new_output("stream", name=name, text=text(o.get("text", "")))
    if kind == "error":
        tb = o.get("traceback") if isinstance(o.get("traceback"), list) else []
        return new_output(
            "error",
            ename=str(o.get("ename", "")),
            evalue=str(o.get("evalue", "")),
            traceback=[str(x) for x in tb],
        )
    if kind in ("display_data", "execute_result"):
        data = o.get("data") if isinstance(o.get("data"), dict) else {}
        data = {
            str(k): (v if isinstance(v, dict) else text(v))
            for k, v in data.items()
            if isinstance(k, str) and "/" in k and k not in SCRIPT_TYPES
        }
        meta = o.get("metadata") if isinstance(o.get("metadata"), dict) else {}
        if kind == "execute_result":
            count = o.get("execution_count")
            count = count if isinstance(count, int) else None
            return new_output(kind, data=data, metadata=meta, execution_count=count)
        return new_output(kind, data=data, metadata=meta)
    return None


@dataclass
class ExecutionRecord:
    """What came back from one job: cell outputs, and why it stopped early (if it did)."""

    cells: dict[int, tuple[int | None, list]]
    complete: bool
    status: Status
    reason: str
    calls: list = field(default_factory=list)  # the harness's result lines (untrusted)


def read_job(job_dir: Path, outcome, timeout: float, memory_mb: int) -> ExecutionRecord:
    """Interpret a job's ``out/stream.jsonl`` and exit status."""
    record, calls = _read_job(job_dir, outcome, timeout, memory_mb)
    record.calls = calls
    return record


def _read_job(job_dir: Path, outcome, timeout: float, memory_mb: int):
    cells: dict[int, tuple[int | None, list]] = {}
    calls: list = []
    result = None
    stream = job_dir / "out" / "stream.jsonl"
    if stream.exists():
        with open(stream, "rb") as f:
            for raw in f:
                try:
                    msg = json.loads(raw)
                except (ValueError, RecursionError):  # a line nested past the stack, too
                    continue
                if not isinstance(msg, dict):
                    continue
                if msg.get("type") == "cell" and isinstance(msg.get("index"), int):
                    outs = msg.get("outputs") if isinstance(msg.get("outputs"), list) else []
                    count = msg.get("execution_count")
                    cells[msg["index"]] = (count if isinstance(count, int) else None, outs)
                elif msg.get("type") == "call":
                    calls.append(msg.get("data"))
                elif msg.get("type") == "result":
                    result = msg
    if getattr(outcome, "oom_kills", 0):  # the job's memory cgroup: all of it together
        reason = (
            f"over the memory limit of {memory_mb} MB (the job's processes and its files in "
            "memory together): the biggest process was stopped"
        )
        finished = result is not None and result.get("status") == "ok"
        return ExecutionRecord(cells, finished, Status.MEMORY_LIMIT, reason), calls
    if outcome is not None and outcome.timed_out:
        return ExecutionRecord(
            cells, False, Status.TIMEOUT, f"did not finish within the time limit of {timeout:g} s"
        ), calls
    if result is None:
        rc = outcome.returncode if outcome is not None else None
        if rc is not None and rc < 0:
            sig = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else rc
            if sig == "SIGXCPU":
                return ExecutionRecord(
                    cells, False, Status.TIMEOUT, "CPU time limit reached"
                ), calls
            if sig == "SIGKILL":
                reason = f"killed (SIGKILL), most likely over the memory limit of {memory_mb} MB"
                return ExecutionRecord(cells, False, Status.MEMORY_LIMIT, reason), calls
            return ExecutionRecord(
                cells, False, Status.KERNEL_DIED, f"sandbox killed by {sig}"
            ), calls
        log = (job_dir / "sandbox.log").read_text(errors="replace")[-500:].strip()
        reason = f"the sandbox stopped without a result (exit code {rc})"
        return ExecutionRecord(
            cells, False, Status.SANDBOX_ERROR, f"{reason}: {log}" if log else reason
        ), calls
    status = result.get("status")
    if status == "ok":
        return ExecutionRecord(cells, True, Status.OK, ""), calls
    if status == "kernel_died":
        tail = str(result.get("log_tail", "")).replace("\0", "")
        memory = "MemoryError" in tail or "Cannot allocate memory" in tail
        reason = "the kernel died (the student's code ended the Python process)"
        if memory:
            return ExecutionRecord(
                cells, False, Status.MEMORY_LIMIT, f"{reason}: out of memory"
            ), calls
        return ExecutionRecord(cells, False, Status.KERNEL_DIED, reason), calls
    message = str(result.get("message"))
    if status == "error" and message.startswith("CellTimeoutError"):
        # the kernel's messages stopped (its own processes starved it): the student's doing
        reason = f"a cell's output did not arrive in time: {message[:200]}"
        return ExecutionRecord(cells, False, Status.TIMEOUT, reason), calls
    return ExecutionRecord(
        cells, False, Status.SANDBOX_ERROR, f"execution failed: {message[:300]}"
    ), calls


def merge_outputs(nb, record: ExecutionRecord) -> list[str]:
    """Put the sandbox's outputs into the (trusted) sanitized notebook ``nb``, in place.

    Code cells the sandbox never finished get an error output, so nbgrader scores
    their tests 0 instead of taking an empty output for a pass. Returns notes about
    limits that were hit (MemoryError, cell timeouts, output truncated).
    """
    notes: list[str] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if i in record.cells:
            count, outs = record.cells[i]
            cleaned = [c for c in (clean_output(o) for o in outs) if c is not None]
            cell.outputs = cleaned
            cell.execution_count = count
            for o in cleaned:
                if o.output_type == "error" and o.ename == "MemoryError":
                    where = cell.metadata.get("nbgrader", {}).get("grade_id", i)
                    notes.append(f"memory_limit: MemoryError in cell {where}")
                if o.output_type == "error" and o.ename == "CellTimeoutError":
                    notes.append("timeout: a cell exceeded the per-cell time limit")
                if o.output_type == "stream" and "[cnnbook: output limit" in o.text:
                    notes.append("output_limit: output over the limit was dropped")
        elif not record.complete and cell.source.strip():
            cell.outputs = [
                new_output(
                    "error",
                    ename=NOT_EXECUTED,
                    evalue=record.reason,
                    traceback=[f"{NOT_EXECUTED}: this cell was not run: {record.reason}"],
                )
            ]
            cell.execution_count = None
    return notes
