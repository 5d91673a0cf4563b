"""Colour maps of the book stay readable in grayscale (printouts, colour-blind readers).

Every colour map named in the chapters or in cnnbook (``cmap="..."``) must get
monotonically lighter (or darker) from one end to the other, so that the order
of values survives conversion to gray. (Alt text and captions of every figure
are checked on the built pages by tests/test_site_browser.py.)
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.site_support import REPO

SOURCES = sorted(REPO.glob("chapters/*.md")) + sorted(REPO.glob("cnnbook/**/*.py"))
CMAP = re.compile(r"""cmap\s*[=:]\s*(?:str\s*=\s*)?["']([A-Za-z0-9_]+)["']""")


def _named_cmaps() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        for name in CMAP.findall(path.read_text()):
            found.setdefault(name, []).append(path.relative_to(REPO).as_posix())
    return found


def _luminance(name: str) -> np.ndarray:
    import matplotlib

    rgb = matplotlib.colormaps[name](np.linspace(0, 1, 64))[:, :3]
    return rgb @ np.array([0.299, 0.587, 0.114])  # the weights of a grayscale conversion


def test_sources_name_colour_maps():
    assert _named_cmaps(), "no cmap= found in chapters/ or cnnbook/: is the pattern out of date?"


@pytest.mark.parametrize("name", sorted(_named_cmaps()))
def test_colour_map_is_monotonic_in_grayscale(name):
    steps = np.diff(_luminance(name))
    monotonic = (steps >= -1e-3).all() or (steps <= 1e-3).all()
    assert monotonic, (
        f"colour map {name!r} (used in {sorted(set(_named_cmaps()[name]))}) is not monotonic "
        "in lightness: its order of values is lost in grayscale; use gray, cividis, viridis, "
        "magma or another sequential map"
    )


def test_the_check_rejects_a_rainbow_map():
    steps = np.diff(_luminance("jet"))
    assert not ((steps >= -1e-3).all() or (steps <= 1e-3).all())
