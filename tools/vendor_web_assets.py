"""Copy the browser libraries the book serves itself from node_modules/ into _extra/vendor/.

The book must work on a closed classroom network, so the site carries its own
MathJax 3 and ipywidgets HTML manager instead of loading them from a CDN.
``_extra/`` is Sphinx's ``html_extra_path``: its content is copied as is to the
root of the built site, so ``_extra/vendor/...`` is served as ``vendor/...``.
(Jupyter Book 1 would add every ``.js`` under ``_static/`` to every page, which
is why these files do not live there.)

The copied files are committed, so a plain ``jupyter-book build`` on a fresh
machine needs no npm. To refresh them after changing a version in package.json::

    npm ci && python tools/vendor_web_assets.py

Only the files the site needs are copied: MathJax's ``tex-mml-chtml``
combined component with its CommonHTML fonts, TeX extensions (loaded on demand
by ``\\require`` and autoload), menu and accessibility components; the AMD
build of ``@jupyter-widgets/html-manager`` with the Font Awesome fonts it
references; and RequireJS, which loads it. MathJax's speech-rule engine
(``es5/sre``, 3.9 MB) is left out: it is only loaded if a reader switches on
the menu's "Explorer", which then needs a network.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules"
DEST = ROOT / "_extra" / "vendor"

# (package, files or folders under the package, destination folder under DEST)
COPIES = [
    (
        "mathjax",
        [
            "LICENSE",
            "es5/tex-mml-chtml.js",
            "es5/input/tex/extensions",
            "es5/output/chtml/fonts/woff-v2",
            "es5/ui",
            "es5/a11y",
        ],
        "mathjax",
    ),
    ("requirejs", ["require.js"], "requirejs"),
    (
        "@jupyter-widgets/html-manager",
        ["dist/embed-amd.js", "dist/embed.js.LICENSE.txt"],
        "jupyter-widgets",
    ),
    ("@fortawesome/fontawesome-free", ["LICENSE.txt"], "jupyter-widgets/fontawesome"),
]
# Font Awesome fonts bundled into embed-amd.js (served next to it, named by hash).
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot")


def _version(package: str) -> str:
    return json.loads((NODE / package / "package.json").read_text())["version"]


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)


def main() -> int:
    if not NODE.is_dir():
        print("node_modules/ is missing: run `npm ci` first", file=sys.stderr)
        return 1
    if DEST.exists():
        shutil.rmtree(DEST)
    versions = {}
    for package, items, folder in COPIES:
        versions[package] = _version(package)
        for item in items:
            src = NODE / package / item
            # es5/... lands directly in vendor/mathjax/...; other items keep their file name
            rel = item.removeprefix("es5/") if package == "mathjax" else Path(item).name
            _copy(src, DEST / folder / rel)
    widgets_dist = NODE / "@jupyter-widgets/html-manager/dist"
    for font in sorted(widgets_dist.iterdir()):
        if font.suffix in FONT_SUFFIXES:
            _copy(font, DEST / "jupyter-widgets" / font.name)
    # ipywidgets' html-manager ships no licence file; its licence is ipywidgets' BSD-3-Clause.
    (DEST / "jupyter-widgets" / "LICENSE").write_text(IPYWIDGETS_LICENSE)
    (DEST / "versions.json").write_text(json.dumps(versions, indent=2, sort_keys=True) + "\n")
    size = sum(p.stat().st_size for p in DEST.rglob("*") if p.is_file())
    print(f"vendored {versions} into {DEST.relative_to(ROOT)} ({size / 1e6:.1f} MB)")
    return 0


IPYWIDGETS_LICENSE = """\
Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

if __name__ == "__main__":
    sys.exit(main())
