"""What the sandbox sees of the course package: no module that holds answers.

The real ``cnnbook`` folder is hidden inside the sandbox by a copy that holds only

* the modules the student's notebook and the runner need, none of which holds a
  reference answer (:data:`SANDBOX_SAFE_FOLDERS`, :data:`SANDBOX_SAFE`), and
* the answer modules an assignment declares it may import (ps07 builds on the layers
  graded in ps02 to ps06: ``sandbox_modules`` in its source notebook's metadata),
  with the functions graded in *this* assignment removed, and any private helper that
  only those functions used.

So ``import cnnbook.layers`` fails in a ps02 sandbox, whatever name it is imported
under, and a ps06 sandbox has the forward passes its notebook uses but no backward pass.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import cnnbook

PACKAGE = Path(cnnbook.__file__).resolve().parent

#: What holds no answers and is always in the sandbox: folders copied whole (every
#: module of the student-side ``grading`` helpers and of ``grader/sandboxed``, the code
#: that runs inside the sandbox), and single files (paths inside the package): the
#: course data the student side reads (the chapters of the hints), never the
#: misconceptions (``coursedata/misconceptions/`` holds fragments of the answers).
SANDBOX_SAFE_FOLDERS = ("grading", "grader/sandboxed")
SANDBOX_SAFE = (
    "__init__.py",
    "data.py",
    "gradcheck.py",
    "grader/__init__.py",
    "coursedata/__init__.py",
    "coursedata/chapters.toml",
)


def module_file(module: str) -> str:
    """``cnnbook.layers`` -> ``layers.py``; raises ``ValueError`` for other packages."""
    parts = module.split(".")
    if parts[0] != "cnnbook" or len(parts) < 2:
        raise ValueError(f"sandbox_modules: {module!r} is not a module of the cnnbook package")
    return "/".join(parts[1:]) + ".py"


def without_functions(source: str, removed: set[str]) -> str:
    """``source`` with the top-level functions ``removed`` deleted, and then every private
    top-level function (``_name``) that no remaining code refers to."""
    tree = ast.parse(source)
    removed = set(removed)
    while True:
        keep = [
            n
            for n in tree.body
            if not (isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name in removed)
        ]
        used = {node.id for n in keep for node in ast.walk(n) if isinstance(node, ast.Name)} | {
            node.attr for n in keep for node in ast.walk(n) if isinstance(node, ast.Attribute)
        }
        unused = {
            n.name
            for n in keep
            if isinstance(n, ast.FunctionDef) and n.name.startswith("_") and n.name not in used
        }
        tree.body = keep
        if not unused - removed:
            break
        removed |= unused
    # __all__ may still name removed functions: drop them from it
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            node.value.elts = [
                e for e in node.value.elts
                if not (isinstance(e, ast.Constant) and e.value in removed)
            ]  # fmt: skip
    return ast.unparse(tree)


def build(dest: Path, allowed_modules=(), graded_functions=()) -> Path:
    """Write the sandbox's copy of the package into ``dest`` (created); returns it."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for folder in SANDBOX_SAFE_FOLDERS:
        shutil.copytree(
            PACKAGE / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    for rel in SANDBOX_SAFE:
        src = PACKAGE / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
    todo = list(allowed_modules)
    done: set[str] = set()
    while todo:
        module = todo.pop()
        if module in done:
            continue
        done.add(module)
        rel = module_file(module)
        src = PACKAGE / rel
        if not src.is_file():
            raise ValueError(f"sandbox_modules: {module!r} does not exist ({src})")
        text = without_functions(src.read_text(), set(graded_functions))
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
        todo += [m for m in _course_imports(text, module) if (PACKAGE / module_file(m)).is_file()]
    return dest


def _course_imports(source: str, module: str) -> list[str]:
    """The cnnbook modules that ``source`` (the module ``module``) imports at module level
    (an import inside a function is only followed if that function is called, and is
    not given: what it would bring may hold answers)."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.append(f"{package}.{node.module}")
            elif node.level == 1:
                found += [f"{package}.{a.name}" for a in node.names]
            elif node.level == 0 and node.module == "cnnbook":
                found += [f"cnnbook.{a.name}" for a in node.names]
            elif node.level == 0 and (node.module or "").startswith("cnnbook."):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("cnnbook.")]
    return found
