"""The held-out label sets stay reproducible: each seeded selection script, rerun today, chooses
exactly the keys its label file holds (later label sets must not change an earlier set's draw)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

LABELS = REPO / "data" / "labels"
# The selection scripts that print one key per line to stdout, and the label file each one chose.
SCRIPTS = ["heldout2/programs", "heldout3/programs", "heldout4/realdata", "heldout5/programs",
           "heldout5/families", "heldout6/programs", "heldout6/families", "heldout7/programs", "heldout7/families",
           "heldout8/programs", "heldout8/families", "heldout9/programs", "heldout9/families"]


def _keys(lines) -> list[tuple]:
    rows = [json.loads(line) for line in lines if line.strip()]
    return [(r["source"], r["record"], r["sample"], r.get("pointer")) for r in rows]


@pytest.mark.slow  # about 20 s per script: out of make test-fast
@pytest.mark.realdata
@pytest.mark.parametrize("name", SCRIPTS)
def test_a_selection_script_still_chooses_its_label_files_keys(name, realdata) -> None:
    env = {**os.environ, "CODEREASON_REALDATA": str(realdata), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, str(LABELS / f"{name}-select.py")], capture_output=True, text=True,
                         env=env, cwd=REPO, check=True, timeout=600)
    chosen = _keys(out.stdout.splitlines())
    labelled = _keys((LABELS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines())
    assert sorted(chosen) == sorted(labelled) and len(set(chosen)) == len(chosen)


def test_the_definition_cases_label_files_match_the_case_table() -> None:
    """data/labels/definition-cases.jsonl and its texts are the case table as written now (rerun the maker)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("definition_cases_make", LABELS / "definition-cases-make.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    texts, keys = maker.rows()
    assert (LABELS / "texts" / "definition-cases.jsonl").read_text(encoding="utf-8").splitlines() == texts, \
        "the case table changed: run .venv/bin/python data/labels/definition-cases-make.py"
    assert (LABELS / "definition-cases.jsonl").read_text(encoding="utf-8").splitlines() == keys
