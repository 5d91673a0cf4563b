"""The job spec as a typed record (cnnbook.grader.sandboxed.job_spec). Instant."""

import pytest

from cnnbook.grader.isolation.bubblewrap import Bubblewrap
from cnnbook.grader.isolation.engine import NoIsolation
from cnnbook.grader.isolation.limits import Limits
from cnnbook.grader.sandboxed.job_spec import JobSpec


def test_round_trip_and_unknown_fields():
    spec = JobSpec("ps02_convolution", {"timeout": 30}, 1000, call_timeout=5.0)
    data = spec.to_json()
    assert data == {"assignment": "ps02_convolution", "execute": {"timeout": 30},
                    "max_output_bytes": 1000, "call_timeout": 5.0}  # None fields left out
    assert JobSpec.from_json(data) == spec
    with pytest.raises(ValueError, match="unknown field"):
        JobSpec.from_json({**data, "work_dri": "/x"})


def test_each_engine_sets_the_folders_the_runner_sees(tmp_path):
    spec = JobSpec("t")
    launch = Bubblewrap().launch(tmp_path, spec, Limits())
    assert (launch.spec.files_dir, launch.spec.work_dir) == ("/job/files", "/home/student/t")
    assert spec.work_dir is None  # the caller's spec is not changed
    launch = NoIsolation().launch(tmp_path, spec, Limits())
    try:
        assert launch.spec.files_dir == str(tmp_path / "files")
        assert launch.spec.work_dir == str(launch.private / "t") and launch.cwd == str(launch.private)
    finally:
        launch.private.rmdir()
