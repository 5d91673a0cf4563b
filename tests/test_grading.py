"""cnnbook.grading: the feedback the exercises' tests give, and that it never writes to stderr."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnbook import grading
from cnnbook.grading import (
    call,
    check_array,
    check_float,
    check_int,
    check_output,
    check_raises,
    check_tuple,
    check_unchanged,
    describe_call,
    hint,
)


def conv_like(x, w, b, stride=1, pad=0):
    return np.zeros((x.shape[0], w.shape[0], 2, 2))


def test_describe_call_names_arguments_shapes_stride_pad():
    x, w, b = np.zeros((2, 3, 5, 7)), np.zeros((4, 3, 3, 2)), np.zeros(4)
    text = describe_call(conv_like, x, w, b, stride=2, pad=1)
    assert text == ("conv_like(x=<array (2, 3, 5, 7)>, w=<array (4, 3, 3, 2)>, "
                    "b=<array (4,)>, stride=2, pad=1)")


def test_check_array_reports_shapes():
    with pytest.raises(AssertionError, match=r"expected \(2, 3\), received \(3, 2\)"):
        check_array("out", np.zeros((3, 2)), np.zeros((2, 3)), "f(x)")


def test_check_array_reports_first_mismatch_with_both_values_and_hint():
    want = np.arange(6.0).reshape(2, 3)
    got = want.copy()
    got[1, 0] = 99.0
    got[1, 2] = -1.0
    with pytest.raises(AssertionError) as info:
        check_array("out", got, want, "f(x=<array (2, 3)>)", hint("02", "stride"))
    message = str(info.value)
    assert "In f(x=<array (2, 3)>):" in message
    assert "2 of 6 entries are wrong" in message
    assert "index (1, 0): expected 3, received 99" in message
    assert "chapters/02_convolution" in message


def test_check_array_reports_integer_dtype_none_and_non_arrays():
    with pytest.raises(AssertionError, match="dtype int64"):
        check_array("out", np.zeros(3, dtype=np.int64), np.zeros(3))
    with pytest.raises(AssertionError, match="forget to return"):
        check_array("out", None, np.zeros(3))
    with pytest.raises(AssertionError, match="received a list of length 3"):
        check_array("out", [0.0, 0.0, 0.0], np.zeros(3))


def test_check_array_reports_nan_and_inf():
    with pytest.raises(AssertionError, match="non-finite"):
        check_array("probs", np.array([np.nan, 1.0]), np.array([0.5, 0.5]))


def test_check_array_accepts_close_values_and_float32():
    check_array("out", np.float32([1.0, 2.0]) + 1e-8, np.array([1.0, 2.0]))


def test_check_int_rejects_floats_and_bools():
    check_int("size", 3, 3)
    check_int("size", np.int64(3), 3)
    with pytest.raises(AssertionError, match="float 3.0"):
        check_int("size", 3.0, 3)
    with pytest.raises(AssertionError, match="bool"):
        check_int("size", True, 1)
    with pytest.raises(AssertionError, match="expected 3, received 4"):
        check_int("size", 4, 3)


def test_check_float_rejects_arrays_and_infinity():
    check_float("loss", np.float64(1.5), 1.5)
    with pytest.raises(AssertionError, match="single float"):
        check_float("loss", np.array([1.5]), 1.5)
    with pytest.raises(AssertionError, match="overflow"):
        check_float("loss", float("inf"), 2.0)


def test_call_turns_errors_into_assertions_and_stays_silent(capfd):
    def overflow(z):
        return np.exp(z)

    def broken(x):
        return x[10]

    def stub(x):
        raise NotImplementedError()

    out = call(overflow, np.array([1000.0]))
    assert np.isinf(out).all()
    with pytest.raises(AssertionError, match="raised IndexError"):
        call(broken, np.zeros(3))
    with pytest.raises(AssertionError, match="not implemented yet"):
        call(stub, np.zeros(3))
    with pytest.raises(AssertionError, match="does not accept these arguments"):
        call(stub, np.zeros(3), stride=2)
    with pytest.raises(AssertionError, match="non-finite"):
        check_output(overflow, (np.array([1000.0]),), {}, np.array([1.0]))
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_call_passes_copies():
    def mutate(x):
        x[:] = 0
        return x

    x = np.ones(3)
    call(mutate, x)
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_check_output_tuples_skip_none():
    def grads(x):
        return x, 2 * x, 3 * x

    x = np.ones(2)
    check_output(grads, (x,), {}, (None, 2 * x, None), ("dx", "dw", "db"))
    with pytest.raises(AssertionError, match="db has the right shape"):
        check_output(grads, (x,), {}, (None, None, x), ("dx", "dw", "db"))
    with pytest.raises(AssertionError, match="a tuple of 3 values"):
        check_output(lambda x: x, (x,), {}, (x, x, x), ("dx", "dw", "db"))


def test_check_unchanged_and_check_raises():
    def in_place(x):
        x[x < 0] = 0
        return x

    x = np.array([-1.0, 1.0])
    with pytest.raises(AssertionError, match="modified its input x"):
        check_unchanged("x", x, in_place, x)
    check_unchanged("y", np.array([1.0]), np.abs, np.array([1.0]))

    def strict(n):
        if n < 0:
            raise ValueError("negative")
        return n

    check_raises(strict, -1)
    with pytest.raises(AssertionError, match="returned int 1"):
        check_raises(strict, 1)


def test_check_raises_reads_the_same_in_the_notebook_and_in_the_judge():
    """The notebook's failure for a wrong exception and the judge's (from the sandbox's
    record: type, MRO, message) are one message, the student's exception message in it."""
    from cnnbook.grading import judge_raises

    def wrong_type(n):
        raise TypeError("n must be an int")

    with pytest.raises(AssertionError) as in_notebook:
        check_raises(wrong_type, 1.5, hint="H")
    raised = ("TypeError", ["TypeError", "Exception", "BaseException"], "n must be an int")
    with pytest.raises(AssertionError) as in_judge:
        judge_raises(wrong_type, (1.5,), {}, ValueError, "H", raised, None)
    assert str(in_notebook.value) == str(in_judge.value)
    assert "raised TypeError: n must be an int" in str(in_judge.value)


def test_every_chapter_hint_points_to_a_page():
    for number, (path, title) in grading.CHAPTERS.items():
        assert path.startswith(f"chapters/{number}_")
        assert title in hint(number, "x")


def test_call_refuses_the_reference_implementation():
    from cnnbook.layers import relu_forward

    with pytest.raises(AssertionError, match="reference implementation"):
        call(relu_forward, np.zeros(3))


# --------------------------------------------------------------------------
# Readable failures: the course's message first, the student's line, no helper frames
# --------------------------------------------------------------------------


def test_failures_are_check_errors_with_the_message_first():
    with pytest.raises(grading.CheckError) as info:
        check_array("out", np.zeros((3, 2)), np.zeros((2, 3)), "f(x)", hint("02", "stride"))
    lines = info.value._render_traceback_()
    assert "AssertionError" in lines[0] and "In f(x):" in lines[0]
    assert "wrong shape" in lines[1]
    text = "\n".join(lines)
    assert "/grading/" not in text
    # the last lines name the line of the test that made the check
    assert "Checked by" in text and 'check_array("out"' in lines[-1]


def test_an_error_in_the_students_function_names_its_line():
    def broken(x):
        y = x + 1
        return y[10]

    with pytest.raises(AssertionError) as info:
        call(broken, np.zeros(3))
    message = str(info.value)
    assert message.splitlines()[0] == "In broken(x=<array (3,)>):"
    assert "the call raised IndexError" in message
    assert "in broken: return y[10]" in message
    with pytest.raises(AssertionError, match=r"in broken: return y\[10\]"):
        check_unchanged("x", np.zeros(3), broken, np.zeros(3))


def test_rendered_lines_are_wrapped_for_nbgrader_validate():
    with pytest.raises(grading.CheckError) as info:
        check_array("out", np.zeros(3), np.ones(3), "f(" + "x, " * 60 + ")", hint("03", "stride"))
    rendered = info.value._render_traceback_()
    for line in rendered[:rendered.index("")]:  # the message (then where it was checked)
        plain = line.replace("\x1b[0;31m", "").replace("\x1b[0m", "").replace("\x1b[1m", "")
        assert len(plain) <= 100 or plain.startswith("    ") and "http" in plain, plain


def test_check_float_gives_the_right_advice():
    with pytest.raises(AssertionError, match=r"Convert the result with float"):
        check_float("loss", np.array([1.5]), 1.5)
    with pytest.raises(AssertionError) as info:
        check_float("loss", np.zeros((2, 3)), 1.5)
    assert "float(" not in str(info.value) and "order" in str(info.value)
    with pytest.raises(AssertionError) as info:
        check_float("loss", (1.5, np.zeros(2)), 1.5)
    assert "float(" not in str(info.value) and "order" in str(info.value)
    with pytest.raises(AssertionError, match="forget to return"):
        check_float("loss", None, 1.5)


def test_check_tuple_wrong_order_missing_values_and_types():
    import numbers

    pair = (numbers.Real, np.ndarray)
    check_tuple("the result", (0.5, np.zeros(2)), ("loss", "dlogits"), kinds=pair)
    with pytest.raises(AssertionError, match="wrong order: loss and dlogits are swapped"):
        check_tuple("the result", (np.zeros(2), 0.5), ("loss", "dlogits"), kinds=pair)
    with pytest.raises(AssertionError, match="received float 0.5. Return all of them"):
        check_tuple("the result", 0.5, ("loss", "dlogits"), kinds=pair)
    with pytest.raises(AssertionError, match="forget to return"):
        check_tuple("the result", None, ("loss", "dlogits"))
    with pytest.raises(AssertionError, match=r"0-d NumPy array .* Convert it with float"):
        check_tuple("the result", (np.array(0.5), np.zeros(2)), ("loss", "dlogits"), kinds=pair)


def test_check_output_reports_gradients_in_the_wrong_order():
    x, w = np.ones((2, 3)), np.ones((3, 4))

    def backward(dout, x, w):
        return np.zeros(w.shape), np.zeros(x.shape), np.zeros(4)  # (dw, dx, db)

    with pytest.raises(AssertionError, match=r"dx has the shape \(3, 4\) of dw.*order \(dx, dw, db\)"):
        check_output(backward, (np.ones((2, 4)), x, w), {}, (x, w, np.zeros(4)),
                     ("dx", "dw", "db"))


def test_only_the_loss_returned_gets_a_clear_message_from_check_output():
    with pytest.raises(AssertionError, match=r"expected a tuple of 3 values \(dx, dw, db\)"):
        check_output(lambda x: 0.5, (np.ones(2),), {}, (None, None, np.ones(2)),
                     ("dx", "dw", "db"))


def test_failures_in_a_real_kernel_show_the_message_first(tmp_path):
    """The traceback a student sees in Jupyter: the message on the first line, no helper frames."""
    from jupyter_client.manager import start_new_kernel

    code = (
        "import numpy as np\n"
        "from cnnbook.grading import check_output, hint\n"
        "def relu_forward(x):\n"
        "    return x[5]\n"
        "check_output(relu_forward, (np.ones(3),), {}, np.ones(3), 'out', hint('05', 'ReLU'))\n"
    )
    outputs = []
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        reply = kc.execute_interactive(code, timeout=60, output_hook=lambda msg: outputs.append(msg))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "error"
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert len(errors) == 1
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in errors[0]["traceback"]]
    text = "\n".join(lines)
    assert lines[0] == "AssertionError: In relu_forward(x=<array (3,)>):", text
    assert lines[1].startswith("the call raised IndexError"), text
    assert "in relu_forward: return x[5]" in lines[2], text
    assert "/grading/" not in text and "Traceback" not in text, text
    assert len(lines) <= 12, text


# --------------------------------------------------------------------------
# Hints point to a section of a chapter that exists
# --------------------------------------------------------------------------


def _hint_topics():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    text = "\n".join(p.read_text() for p in (root / "tools" / "exercise_sources").glob("ps*.py"))
    return root, sorted(set(re.findall(r'hint\(\s*"(\d\d)",\s*"([^"]+)"', text)))


def test_every_hint_names_an_existing_section():
    from docutils.nodes import make_id

    root, topics = _hint_topics()
    assert len(topics) > 30
    for chapter, entries in grading.SECTIONS.items():
        page = (root / f"{grading.CHAPTERS[chapter][0]}.md").read_text()
        headings = {line.lstrip("#").strip() for line in page.splitlines()
                    if line.startswith("## ") or line.startswith("### ")}
        for _words, heading in entries:
            assert heading in headings, f"chapter {chapter} has no section {heading!r}"
            assert grading.section_anchor(heading) == make_id(heading), heading
    for chapter, topic in topics:
        text = hint(chapter, topic)
        assert "section '" in text, f"hint({chapter!r}, {topic!r}) names no section: {text}"
        assert f"{grading.BOOK_URL}/{grading.CHAPTERS[chapter][0]}.html#" in text


def test_every_hint_topic_finds_its_own_section_a_level_two_heading():
    """Each hint of the assignments is sent to a section by the words of its topic, not by
    a chapter's last-resort entry, and that section is a ``##`` heading of the chapter (the
    pooling-overlap checks once fell to "Convolution backward is a convolution")."""
    root, topics = _hint_topics()
    for chapter, topic in topics:
        page = (root / f"{grading.CHAPTERS[chapter][0]}.md").read_text()
        headings = {line[3:].strip() for line in page.splitlines() if line.startswith("## ")}
        found = next(((w, h) for w, h in grading.SECTIONS[chapter] if w in topic), None)
        assert found is not None and found[0], (
            f"hint({chapter!r}, {topic!r}) finds its section only by the last resort"
        )
        assert found[1] in headings, f"{found[1]!r} is not a ## heading of chapter {chapter}"
    assert hint("07", "overlapping windows and ties in max pooling").count(
        "Max-pool backward: routing to the maximum") == 1
    assert "Average-pool backward" in hint("07", "overlapping windows in average pooling")
