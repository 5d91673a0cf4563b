"""Code similarity of the answer cells, for the instructor's judgement (never a penalty).

Each submission's answer cells (nbgrader ``solution`` cells) are joined into one
Python text and fingerprinted with `copydetect <https://github.com/blingenf/copydetect>`_
(tokenized so that renamed variables and comments do not matter, k-gram winnowing as
in MOSS). The released stubs are boilerplate: their fingerprints are removed, so two
untouched notebooks are not "similar". Every pair of submissions, and each submission
against the reference solution, gets two fractions - how much of A's fingerprinted
code is in B and how much of B's is in A - and pairs are ranked by the larger.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

from copydetect import CodeFingerprint, compare_files

REFERENCE = "(reference solution)"
NOISE = 25  # copydetect's defaults: k-grams of 25 characters of filtered code,
GUARANTEE = 30  # and every match of 30 or more is found (window 6)


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    a_in_b: float  # fraction of a's code found in b
    b_in_a: float
    overlap: int  # matching tokens

    @property
    def similarity(self) -> float:
        return max(self.a_in_b, self.b_in_a)


def answer_code(nb, names: set[str] | None = None) -> str:
    """The answer cells of a notebook, joined (in order)."""
    parts = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution"):
            if names is None or meta.get("grade_id") in names:
                parts.append(str(cell.get("source", "")))
    return "\n\n".join(parts)


def _fingerprint(name: str, code: str, boilerplate) -> CodeFingerprint:
    return CodeFingerprint(
        f"{name}.py",
        NOISE,
        GUARANTEE - NOISE + 1,
        boilerplate=boilerplate,
        language="python",
        fp=io.StringIO(code),
    )


def rank_pairs(codes: dict[str, str], reference: str | None = None, stub: str = "") -> list[Pair]:
    """All pairs of ``codes`` (student -> answer code), plus each against ``reference``,
    most similar first. Submissions with no code of their own (after the stub's
    fingerprints are removed) are left out."""
    boilerplate = list(_fingerprint("stub", stub, []).hashes) if stub.strip() else []
    prints = {}
    for name, code in codes.items():
        fp = _fingerprint(name, code, boilerplate)
        if fp.hashes:
            prints[name] = fp
    pairs = []
    entries = sorted(prints.items())
    if reference:
        ref = _fingerprint("reference", reference, boilerplate)
        if ref.hashes:
            entries_ref = [(REFERENCE, ref)]
            for (name, fp), (rname, rfp) in itertools.product(entries, entries_ref):
                pairs.append(_compare(name, fp, rname, rfp))
    for (na, fa), (nb_, fb) in itertools.combinations(entries, 2):
        pairs.append(_compare(na, fa, nb_, fb))
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return pairs


def _compare(na: str, fa: CodeFingerprint, nb_: str, fb: CodeFingerprint) -> Pair:
    overlap, (sim_a, sim_b), _ = compare_files(fa, fb)
    return Pair(na, nb_, round(float(sim_a), 4), round(float(sim_b), 4), int(overlap))
