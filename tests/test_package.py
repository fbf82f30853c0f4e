"""The public surface: a curated, sorted __all__ and a light import."""

from __future__ import annotations

import subprocess
import sys

import codereason


def test_all_is_sorted_and_resolves() -> None:
    assert list(codereason.__all__) == sorted(codereason.__all__)
    for name in codereason.__all__:
        assert getattr(codereason, name) is not None, name


def test_import_is_light() -> None:
    code = ("import sys, codereason; heavy = [m for m in ('vllm', 'torch', 'transformers', 'sklearn', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
