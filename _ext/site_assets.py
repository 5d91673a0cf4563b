"""Reader's-site fixes and launch links (a local Sphinx extension of the book).

1. Duplicate scripts. sphinx-thebe 0.3.1 and sphinx-togglebutton, both pulled
   in by Jupyter Book 1, end up with their inline scripts twice on every page
   (once with filename None, once with ''), and sphinx-thebe's
   ``const THEBE_JS_URL = ...`` then throws "Identifier 'THEBE_JS_URL' has
   already been declared". Exact duplicates are dropped from each page.

2. Colab for MyST Markdown chapters. Colab opens only ``.ipynb`` files, and the
   chapters are ``.md`` notebooks with no committed ``.ipynb``. The theme's
   Colab button therefore points at the executed notebook that the build
   writes next to the page (``_sources/<page>.ipynb``, also the download
   button's file) on the branch the site is published to
   (``site_colab_branch``, default ``gh-pages``, where ``ghp-import -n -p -f
   _build/html`` puts it). That notebook gets a cell (after the title) which, in Colab
   only, installs the course's package from the repository. Binder and
   JupyterHub open the ``.md`` itself as a notebook through jupytext (see
   binder/).

3. Downloaded notebooks (the same ``_sources/<page>.ipynb``): widget outputs
   get a picture of their saved view, which JupyterLab shows in the untrusted
   notebook a download is, and ipykernel's kernel name (see
   :func:`prepare_download`).

4. Launch links for exercises. A link in a chapter to an exercise notebook of
   the repository (``<repository>/blob/<branch>/exercises/.../*.ipynb``) is
   followed by "(open in Colab, Binder or JupyterHub)" links built from the
   same ``launch_buttons`` settings as the theme's buttons.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, urlencode

from docutils import nodes


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        filename = getattr(script, "filename", script) or ""  # None and "" both mean inline
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _launch_settings(app):
    options = app.config.html_theme_options or {}
    repo_url = (options.get("repository_url") or "").rstrip("/")
    match = re.match(r"https://github\.com/([^/]+)/([^/]+)$", repo_url)
    if not match:
        return None
    return {
        "repo_url": repo_url,
        "org": match.group(1),
        "repo": match.group(2),
        "branch": options.get("repository_branch") or "main",
        "buttons": options.get("launch_buttons") or {},
    }


COLAB_SETUP_ID = "colab-setup"


def colab_setup_cell(repo_url: str) -> dict:
    """A code cell that installs the course's package when the notebook runs in Colab."""
    source = [
        "# In Colab only: install the course's package (elsewhere it is already installed).\n",
        "import sys\n",
        "\n",
        'if "google.colab" in sys.modules:\n',
        f'    get_ipython().run_line_magic("pip", "install -q git+{repo_url}")',
    ]
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": COLAB_SETUP_ID,
        "metadata": {"tags": ["colab-setup"]},
        "outputs": [],
        "source": source,
    }


def _add_colab_setup_cell(path: Path, repo_url: str) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook.get("cells", [])
    if any(cell.get("id") == COLAB_SETUP_ID for cell in cells):
        return
    # after the title cell, before the first code
    at = 1 if cells and cells[0].get("cell_type") == "markdown" else 0
    cells.insert(at, colab_setup_cell(repo_url))
    notebook["cells"] = cells
    if (notebook.get("nbformat"), notebook.get("nbformat_minor", 0)) < (4, 5):
        notebook["nbformat"], notebook["nbformat_minor"] = 4, 5  # cell ids need 4.5
        for i, cell in enumerate(cells):
            cell.setdefault("id", f"cell-{i}")
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: ipykernel's display name: a notebook that names its kernel otherwise opens as modified.
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"
_PNG_IMG = re.compile(r'<img\b[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=]+)"')
WIDGET_FALLBACK_TEXT = (
    "[An interactive explorer: its saved view is the picture above. JupyterLab shows its "
    "controls once the notebook is trusted (Trust Notebook, in the Command Palette) or the "
    "cell is run.]"
)


def _widget_png(state: dict, model_id: str, seen: set | None = None) -> str | None:
    """The first PNG (base64) drawn by the widget ``model_id`` or one of its children."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return None
    seen.add(model_id)
    model = state[model_id].get("state", {})
    match = _PNG_IMG.search(str(model.get("value", ""))) if isinstance(
        model.get("value"), str) else None
    if match:
        return match.group(1)
    for child in model.get("children", []) or []:
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            png = _widget_png(state, child[len("IPY_MODEL_"):], seen)
            if png:
                return png
    return None


def prepare_download(notebook: dict) -> dict:
    """Make an executed chapter notebook read well when downloaded and opened in JupyterLab.

    * JupyterLab renders widgets only in *trusted* notebooks, and a downloaded notebook
      is not trusted: it showed the widget's text fallback (``VBox(children=...``).
      Every widget output also gets the picture its saved state draws (``image/png``,
      which JupyterLab shows in untrusted notebooks too) and a text saying how to get
      the controls; trusted, with a kernel, JupyterLab still shows the saved widget.
    * The kernel's display name is ipykernel's, so that the notebook does not open as
      modified.
    """
    widgets = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
    state = widgets.get("state", {})
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            view = data.get(WIDGET_VIEW)
            if not view:
                continue
            png = _widget_png(state, view.get("model_id", ""))
            if png:
                data["image/png"] = png
            data["text/plain"] = WIDGET_FALLBACK_TEXT
    kernelspec = notebook.get("metadata", {}).get("kernelspec")
    if kernelspec and kernelspec.get("name") == "python3":
        kernelspec["display_name"] = KERNEL_DISPLAY_NAME
    return notebook


def _prepare_download_file(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    prepare_download(notebook)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _colab_for_markdown_notebooks(app, pagename, templatename, context, doctree):
    """Point the Colab button of a .md notebook at its executed .ipynb on the site branch."""
    settings = _launch_settings(app)
    if not settings or not context.get("ipynb_source"):
        return
    notebook = Path(app.outdir) / "_sources" / context["ipynb_source"]
    if notebook.is_file():
        _add_colab_setup_cell(notebook, settings["repo_url"])
        _prepare_download_file(notebook)
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") == "Colab" and not button.get("url", "").endswith(".ipynb"):
                colab = settings["buttons"].get("colab_url", "").rstrip("/")
                button["url"] = (
                    f"{colab}/github/{settings['org']}/{settings['repo']}/blob/"
                    f"{app.config.site_colab_branch}/_sources/{context['ipynb_source']}"
                )


def exercise_launch_urls(settings: dict, path: str) -> list[tuple[str, str]]:
    """(label, url) pairs that open ``path`` (relative to the repository) as a notebook."""
    buttons = settings["buttons"]
    org, repo, branch = settings["org"], settings["repo"], settings["branch"]
    ui = "lab/tree" if buttons.get("notebook_interface", "classic") == "jupyterlab" else "tree"
    urls = []
    if buttons.get("colab_url"):
        colab = buttons["colab_url"].rstrip("/")
        urls.append(("Colab", f"{colab}/github/{org}/{repo}/blob/{branch}/{path}"))
    if buttons.get("binderhub_url"):
        binder = buttons["binderhub_url"].rstrip("/")
        urls.append(("Binder", f"{binder}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{quote(path)}"))
    if buttons.get("jupyterhub_url"):
        hub = buttons["jupyterhub_url"].rstrip("/")
        query = urlencode(
            {"repo": settings["repo_url"], "urlpath": f"{ui}/{repo}/{path}", "branch": branch}
        )
        urls.append(("JupyterHub", f"{hub}/hub/user-redirect/git-pull?{query}"))
    return urls


def _add_exercise_launch_links(app, doctree, docname):
    if app.builder.format != "html":
        return
    settings = _launch_settings(app)
    if not settings:
        return
    pattern = re.compile(
        re.escape(f"{settings['repo_url']}/blob/{settings['branch']}/")
        + r"(exercises/[^?#]+\.ipynb)$"
    )
    for ref in list(doctree.findall(nodes.reference)):
        match = pattern.match(ref.get("refuri", ""))
        if not match or "launch-links" in ref.parent.get("classes", []):
            continue
        links = exercise_launch_urls(settings, match.group(1))
        if not links:
            continue
        span = nodes.inline(classes=["launch-links"])
        span += nodes.Text(" (open in ")
        for i, (label, url) in enumerate(links):
            if i:
                span += nodes.Text(" or " if i == len(links) - 1 else ", ")
            span += nodes.reference(label, label, refuri=url, classes=["launch-link"])
        span += nodes.Text(")")
        ref.parent.insert(ref.parent.index(ref) + 1, span)


def setup(app):
    app.add_config_value("site_colab_branch", "gh-pages", "html")
    # late priorities: after myst-nb, sphinx-thebe and the theme's launch buttons
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _colab_for_markdown_notebooks, priority=900)
    app.connect("doctree-resolved", _add_exercise_launch_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
