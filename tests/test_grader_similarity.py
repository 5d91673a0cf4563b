"""Code similarity of answer cells (cnnbook/grader/similarity.py), with copydetect."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnbook.grader.cells import nbgrader_metadata
from cnnbook.grader.similarity import REFERENCE, answer_code, rank_pairs
from tests.exchange_cycle import COPIED, ORIGINAL


def test_similarity_against_the_reference_solution():
    stub = "def square(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    other = (
        "def square(values):\n    import numpy as np\n    arr = np.asarray(values)\n"
        "    return np.multiply(arr, arr, dtype=float).reshape(arr.shape)\n"
    )
    pairs = rank_pairs(
        {"ada": ORIGINAL, "fay": COPIED, "gus": other, "hal": stub}, reference=ORIGINAL, stub=stub
    )
    ranked = [(p.a, p.b) for p in pairs if p.similarity == 1.0]
    assert set(ranked) == {("ada", "fay"), ("ada", REFERENCE), ("fay", REFERENCE)}
    gus = [p for p in pairs if "gus" in (p.a, p.b)]
    assert gus and all(p.similarity < 0.5 for p in gus)
    assert not any("hal" in (p.a, p.b) for p in pairs)  # the stub alone is boilerplate


def test_answer_code_takes_only_answer_cells():
    nb = new_notebook(
        cells=[
            new_markdown_cell("text"),
            new_code_cell("x = 1", metadata=nbgrader_metadata("a", solution=True)),
            new_code_cell(
                "assert x", metadata=nbgrader_metadata("t", grade=True, locked=True, points=1)
            ),
            new_code_cell("y = 2", metadata=nbgrader_metadata("b", solution=True)),
        ]
    )
    assert answer_code(nbformat.from_dict(nb)) == "x = 1\n\ny = 2"
