"""The book builds strictly, every page is there, and the site is complete offline.

These tests read the built HTML (no browser); tests/test_site_browser.py loads
the same pages in headless Chromium.
"""

from __future__ import annotations

import json
import os
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from tests.site_support import REPO, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

PAGES = toc_pages()
REPO_URL = "https://github.com/cnnbook/cnn-from-the-ground-up"
VENDOR = REPO / "_extra" / "vendor"


class _Page(HTMLParser):
    """Collects ids, references (tag, attribute, value) and output blocks of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None:
                self.refs.append((tag, key, attrs[key]))


def _parse_site(html: Path) -> dict[Path, _Page]:
    pages = {}
    for path in sorted(html.resolve().rglob("*.html")):
        if path.relative_to(html.resolve()).parts[0] in {"_static", "_sources", "vendor"}:
            continue  # theme templates and copied files, not pages
        parser = _Page()
        parser.feed(path.read_text(errors="replace"))
        pages[path] = parser
    return pages


@pytest.fixture(scope="module")
def site(book_build):
    html = book_build.html.resolve()
    assert (html / "index.html").is_file(), f"no site was built; see {book_build.log}"
    return html, _parse_site(html)


def test_book_builds_without_warnings(built_book):
    """`jupyter-book build . -W -n --keep-going` exits 0 (fixture asserts it)."""
    assert (built_book / "index.html").is_file()


@pytest.mark.parametrize("page", PAGES)
def test_every_toc_page_is_built(site, page):
    html, _ = site
    assert (html / f"{page}.html").is_file(), f"_toc.yml lists {page} but no {page}.html was built"


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_an_error(site, page):
    html, _ = site
    text = (html / f"{page}.html").read_text(errors="replace")
    assert 'class="output traceback' not in text, f"{page}: a cell shows a traceback"
    assert "Traceback (most recent call last)" not in text, f"{page}: a traceback is printed"
    # stderr outputs that report an error or a warning (a progress bar on stderr is fine)
    for block in re.findall(r'<div class="output stderr[^"]*">(.*?)</div>', text, flags=re.S):
        assert not re.search(r"Error\b|Warning\b", block), f"{page}: stderr output: {block[:400]}"


def _local_target(html: Path, page: Path, url: str) -> tuple[Path, str] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
        return None
    if not parts.path:
        return page, unquote(parts.fragment)
    target = (page.parent / unquote(parts.path)).resolve()
    if parts.path.endswith("/"):
        target = target / "index.html"
    return target, unquote(parts.fragment)


def broken_local_links(html: Path, pages: dict[Path, _Page]) -> list[str]:
    """Relative href/src that name no file of the site, or an #anchor the page lacks."""
    problems = []
    for page, parsed in pages.items():
        rel = page.relative_to(html)
        for tag, attr, url in parsed.refs:
            target = _local_target(html, page, url)
            if target is None:
                continue
            path, fragment = target
            if not path.is_relative_to(html):
                problems.append(f"{rel}: <{tag} {attr}={url!r}> points outside the site")
            elif not path.exists():
                problems.append(
                    f"{rel}: <{tag} {attr}={url!r}> -> missing {path.relative_to(html)}"
                )
            elif fragment and path.suffix == ".html" and path in pages:
                if fragment not in pages[path].ids:
                    problems.append(f"{rel}: <{tag} {attr}={url!r}> -> no id {fragment!r}")
    return problems


def test_every_local_link_and_resource_resolves(site):
    """Every relative href/src of every page names a file of the site, and its #anchor exists."""
    html, pages = site
    problems = broken_local_links(html, pages)
    assert not problems, "broken local links:\n" + "\n".join(problems[:50])


def test_the_link_check_catches_broken_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "page.html").write_text(
        '<h1 id="top">A</h1><a href="#top">ok</a><a href="#nowhere">no anchor</a>'
        '<a href="../b.html#x">ok</a><a href="../b.html#y">no anchor there</a>'
        '<a href="gone.html">missing</a><img src="../../outside.png">'
        '<a href="https://example.org/">external, not checked</a>'
    )
    (tmp_path / "b.html").write_text('<p id="x">B</p>')
    problems = broken_local_links(tmp_path.resolve(), _parse_site(tmp_path))
    assert len(problems) == 4, problems
    for needle in ("'#nowhere'", "'../b.html#y'", "missing a/gone.html", "outside the site"):
        assert any(needle in p for p in problems), (needle, problems)


def test_pages_load_no_script_or_style_from_the_network(site):
    """Scripts, stylesheets, icons and images are all served by the site itself (closed network)."""
    html, pages = site
    remote = []
    for page, parsed in pages.items():
        for tag, attrs in parsed.tags:
            if tag == "link" and attrs.get("rel") in {
                "stylesheet",
                "preload",
                "modulepreload",
                "icon",
            }:
                url = attrs.get("href", "")
            elif tag in {"script", "img", "iframe", "source", "video", "audio"}:
                url = attrs.get("src", "")
            else:
                continue
            if urlsplit(url).scheme in {"http", "https"} or url.startswith("//"):
                remote.append(f"{page.relative_to(html)}: <{tag} {url}>")
    assert not remote, "resources loaded from the network:\n" + "\n".join(remote[:40])


def _scripts(parsed: _Page) -> list[str]:
    """The script paths of a page, without Sphinx's ?v= cache-busting query."""
    return [
        urlsplit(attrs["src"]).path if not urlsplit(attrs["src"]).scheme else attrs["src"]
        for tag, attrs in parsed.tags
        if tag == "script" and attrs.get("src")
    ]


def test_math_pages_use_the_vendored_mathjax(site):
    html, pages = site
    math_pages = 0
    for page, parsed in pages.items():
        text = page.read_text(errors="replace")
        mathjax = [s for s in _scripts(parsed) if "mathjax" in s.lower()]
        if 'class="math' in text:
            math_pages += 1
            assert mathjax, f"{page.relative_to(html)} has math but loads no MathJax"
        for src in mathjax:
            assert src.endswith("vendor/mathjax/tex-mml-chtml.js"), src
            assert (page.parent / src).resolve().is_file(), src
    assert math_pages >= 3, "expected math on several pages"


def test_widget_pages_use_the_vendored_html_manager(site):
    """Pages with saved widget state load RequireJS and embed-amd.js from vendor/."""
    html, pages = site
    widget_pages = []
    for page, parsed in pages.items():
        text = page.read_text(errors="replace")
        if "application/vnd.jupyter.widget-state+json" not in text:
            continue
        widget_pages.append(page.relative_to(html).as_posix())
        srcs = _scripts(parsed)
        for name in ("vendor/requirejs/require.js", "vendor/jupyter-widgets/embed-amd.js"):
            found = [s for s in srcs if s.endswith(name)]
            assert found, f"{page.relative_to(html)} has widgets but does not load {name}"
            assert (page.parent / found[0]).resolve().is_file()
        assert not [s for s in srcs if "cdn" in s], srcs
    assert len(widget_pages) >= 4, f"saved widget state on only {widget_pages}"


def test_vendored_files_and_licences_are_committed():
    versions = json.loads((VENDOR / "versions.json").read_text())
    package = json.loads((REPO / "package.json").read_text())["devDependencies"]
    for name in ("mathjax", "@jupyter-widgets/html-manager", "requirejs"):
        assert versions[name] == package[name], f"_extra/vendor holds {name} {versions[name]}"
    for path in (
        "mathjax/tex-mml-chtml.js",
        "mathjax/LICENSE",
        "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
        "mathjax/input/tex/extensions/boldsymbol.js",
        "mathjax/a11y/assistive-mml.js",
        "requirejs/require.js",
        "jupyter-widgets/embed-amd.js",
        "jupyter-widgets/LICENSE",
        "jupyter-widgets/fontawesome/LICENSE.txt",
    ):
        assert (VENDOR / path).is_file(), path


def _is_notebook(page: str) -> bool:
    source = REPO / f"{page}.md"
    return source.is_file() and "kernelspec:" in source.read_text().split("\n---", 1)[0]


NOTEBOOK_PAGES = [p for p in PAGES if _is_notebook(p)]


def test_chapters_are_notebooks():
    """Every numbered chapter is a MyST notebook (so it gets launch buttons)."""
    chapters = [p for p in PAGES if Path(p).name[:2].isdigit()]
    assert set(chapters) <= set(NOTEBOOK_PAGES), set(chapters) - set(NOTEBOOK_PAGES)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_chapter_has_launch_and_download_buttons(site, page):
    """Colab, Binder and JupyterHub (nbgitpuller) open the chapter; its notebook downloads."""
    html, pages = site
    parsed = pages[html / f"{page}.html"]
    links = [a["href"] for tag, a in parsed.tags if tag == "a" and a.get("href")]
    source = f"{page}.md"
    # Colab opens only .ipynb: the executed notebook published with the site (gh-pages)
    colab = (
        "https://colab.research.google.com/github/cnnbook/cnn-from-the-ground-up/blob/gh-pages/"
        f"_sources/{page}.ipynb"
    )
    assert colab in links, f"no Colab link to {colab}"
    binder = [
        u
        for u in links
        if u.startswith("https://mybinder.org/v2/gh/cnnbook/cnn-from-the-ground-up/main")
    ]
    assert binder and binder[0].endswith(f"urlpath=lab/tree/{source}"), binder
    hub = [u for u in links if "/hub/user-redirect/git-pull?" in u]
    assert hub, "no JupyterHub (nbgitpuller) link"
    query = parse_qs(urlsplit(hub[0]).query)
    assert query["repo"] == [REPO_URL] and query["branch"] == ["main"], query
    assert query["urlpath"] == [f"lab/tree/cnn-from-the-ground-up/{source}"], query
    assert REPO_URL in links, "no repository button"
    assert (REPO / source).is_file()
    page_file = html / f"{page}.html"
    downloads = [u for u in links if "_sources/" in u and not u.startswith("http")]
    assert any(u.endswith(f"{page}.ipynb") for u in downloads), downloads
    for url in downloads:
        assert (page_file.parent / url).resolve().is_file(), url


def _repo_links(pages) -> list[tuple[Path, str]]:
    prefix = f"{REPO_URL}/blob/main/"
    return [
        (page, a["href"])
        for page, parsed in pages.items()
        for tag, a in parsed.tags
        if tag == "a" and (a.get("href") or "").startswith(prefix)
    ]


def test_links_into_the_repository_name_existing_files(site):
    """Links to this repository's files on GitHub (e.g. exercises) name files that exist."""
    html, pages = site
    prefix = f"{REPO_URL}/blob/main/"
    missing = sorted(
        {
            f"{page.relative_to(html)}: {url}"
            for page, url in _repo_links(pages)
            if not (REPO / unquote(urlsplit(url[len(prefix) :]).path)).exists()
        }
    )
    assert not missing, "links to files that are not in the repository:\n" + "\n".join(missing)


def test_exercise_links_come_with_launch_links(site):
    """A link to an exercise notebook is followed by Colab, Binder and JupyterHub links."""
    html, pages = site
    exercise_links = [
        (p, u) for p, u in _repo_links(pages) if re.search(r"/exercises/.+\.ipynb$", u)
    ]
    if not exercise_links:
        pytest.skip("no chapter links to an exercise notebook yet")
    for page, url in exercise_links:
        path = url.split("/blob/main/", 1)[1]
        text = page.read_text(errors="replace")
        colab = f"https://colab.research.google.com/github/cnnbook/cnn-from-the-ground-up/blob/main/{path}"
        binder = f"https://mybinder.org/v2/gh/cnnbook/cnn-from-the-ground-up/main?urlpath=lab/tree/{path}"
        hub = "https://jupyterhub.example.org/hub/user-redirect/git-pull?" + urlencode(
            {
                "repo": REPO_URL,
                "urlpath": f"lab/tree/cnn-from-the-ground-up/{path}",
                "branch": "main",
            }
        )
        for launch in (colab, binder, hub):
            assert f'href="{escape(launch)}"' in text, f"{page.relative_to(html)}: no {launch}"


def test_binder_opens_markdown_chapters_as_notebooks():
    """Binder reads only binder/: it installs the course and makes .md open as notebooks."""
    requirements = (REPO / "binder" / "requirements.txt").read_text()
    assert "-r ../requirements.txt" in requirements
    assert "jupytext==" in (REPO / "requirements.txt").read_text()
    assert (REPO / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post_build = REPO / "binder" / "postBuild"
    assert "jupytext-config set-default-viewer" in post_build.read_text()
    assert os.access(post_build, os.X_OK)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_downloaded_notebook_is_valid_and_installs_the_course_in_colab(site, page):
    """_sources/<page>.ipynb (download button, Colab) is valid; its first code installs the course."""
    import nbformat

    html, _ = site
    notebook = nbformat.read(html / "_sources" / f"{page}.ipynb", as_version=4)
    nbformat.validate(notebook)
    setup = [cell for cell in notebook.cells[:2] if cell.get("id") == "colab-setup"]
    assert setup, "no Colab setup cell before the first code cell"
    assert setup[0].cell_type == "code"
    assert '"google.colab" in sys.modules' in setup[0].source
    assert f"git+{REPO_URL}" in setup[0].source
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert first_code.id == "colab-setup"
    assert sum(cell.get("id") == "colab-setup" for cell in notebook.cells) == 1
    assert any(cell.get("outputs") for cell in notebook.cells), "the notebook has no outputs"


NUMBERED_CHAPTERS = [p for p in PAGES if Path(p).name[:2].isdigit()]


def _figure_numbers(text: str) -> list[str]:
    return re.findall(r'<span class="caption-number">Fig\. ([^<]*?)\s*</span>', text)


@pytest.mark.parametrize("page", NUMBERED_CHAPTERS)
def test_figures_are_numbered_per_chapter(built_book, page):
    """Chapter N's figures read "Fig. N.1", "Fig. N.2", ... in order, and its title
    carries its number, so "Fig. 2.3" says where to look (not "Fig. 38")."""
    chapter = int(Path(page).name[:2])
    text = (built_book / f"{page}.html").read_text(errors="replace")
    numbers = _figure_numbers(text)
    assert numbers, f"{page}: no numbered figure"
    assert numbers == [f"{chapter}.{k}" for k in range(1, len(numbers) + 1)], numbers
    assert re.search(rf'<h1><span class="section-number">{chapter}\. </span>', text), (
        f"{page}: the title does not carry the chapter number {chapter}"
    )


def test_figure_references_name_the_chapter(built_book):
    """Every {numref} in the book reads "Fig. N.k" and names a figure that exists."""
    captions = set()
    refs = []
    for page in PAGES:
        text = (built_book / f"{page}.html").read_text(errors="replace")
        captions.update(_figure_numbers(text))
        refs += [
            (page, r) for r in re.findall(r'<span class="std std-numref">([^<]*)</span>', text)
        ]
    assert refs, "no figure reference found"
    bad = [
        (page, r)
        for page, r in refs
        if not re.fullmatch(r"Fig\. (\d+\.\d+)", r) or r.split()[1] not in captions
    ]
    assert not bad, bad


def test_the_numbering_check_catches_book_wide_numbers():
    text = (
        '<span class="caption-number">Fig. 38 </span> <span class="caption-number">Fig. 2.1 </span>'
    )
    assert _figure_numbers(text) == ["38", "2.1"]
    assert _figure_numbers(text) != ["2.1", "2.2"]
