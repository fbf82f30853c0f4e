"""The public surface: a curated, sorted __all__ and a light import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import codereason

INIT = Path(codereason.__file__)


def _module_assignments() -> dict[str, ast.expr]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    return {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _imported_public_names() -> set[str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    return {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
            and node.module not in ("__future__", "importlib") for alias in node.names}


def test_all_is_a_sorted_literal_list() -> None:
    """``__all__`` is written out sorted in the source (a ``sorted(...)`` call would hide disorder)."""
    node = _module_assignments()["__all__"]
    assert isinstance(node, ast.List), f"__all__ in {INIT} is {type(node).__name__}, not a literal list"
    names = [element.value for element in node.elts]
    assert names == sorted(names), [pair for pair in zip(names, sorted(names)) if pair[0] != pair[1]][:3]
    assert len(names) == len(set(names)), "__all__ lists a name twice"


def test_all_names_every_public_import_and_each_resolves() -> None:
    lazy = set(codereason._LAZY)
    assert set(codereason.__all__) == _imported_public_names() | lazy
    for name in codereason.__all__:
        assert getattr(codereason, name) is not None, name


def test_import_is_light() -> None:
    code = ("import sys, codereason; heavy = [m for m in ('vllm', 'torch', 'transformers', 'sklearn', 'matplotlib', "
            "'ray') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
