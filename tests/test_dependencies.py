"""Every package fastnn imports is declared in pyproject.toml: at run time or as an optional extra."""
import ast
import pathlib
import re
import sys

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = pathlib.Path(__file__).resolve().parents[1]
IMPORT_NAMES = {"sklearn": "scikit-learn"}  # import name -> distribution name, where they differ
#: Modules that ``import fastnn`` never loads, each needing its extra (``fastnn.onnx``: ``onnx``).
OPTIONAL_MODULES = {"onnx.py": "onnx"}


def declared(requirements):
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requirements}


def imported_packages(lazy, paths=None):
    """Top-level third-party packages imported by ``paths`` (fastnn/ less its optional modules): at
    module level, or (``lazy``) inside functions."""
    if paths is None:
        package = ROOT / "fastnn"
        paths = [p for p in package.rglob("*.py") if p.relative_to(package).as_posix() not in OPTIONAL_MODULES]
    names = set()
    for path in paths:
        tree = ast.parse(path.read_text())
        top = set(tree.body)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and (node in top) != lazy:
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or "."]
                names |= {m.split(".")[0] for m in modules if node.__dict__.get("level", 0) == 0}
    names -= set(sys.stdlib_module_names) | {"fastnn", ""}
    return {IMPORT_NAMES.get(name, name) for name in names}


def test_run_time_imports_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert imported_packages(lazy=False) <= declared(project["dependencies"])
    optional = set().union(*(declared(extra) for extra in project["optional-dependencies"].values()))
    assert imported_packages(lazy=True) <= declared(project["dependencies"]) | optional


def test_optional_modules_import_only_their_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for module, extra in OPTIONAL_MODULES.items():
        needed = imported_packages(lazy=False, paths=[ROOT / "fastnn" / module])
        assert needed <= declared(project["dependencies"]) | declared(project["optional-dependencies"][extra])
