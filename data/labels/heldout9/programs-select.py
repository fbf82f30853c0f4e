"""Choose candidates for the held-out label set heldout9/programs.jsonl (seed 20261250).

This script only CHOOSES which responses to read; every label was given by a person reading
the text (see programs.md). It is ``heldout5/programs-select.py`` (strata, key forms, round-robin,
exclusion rules: see its docstring) run with another seed, other targets (six program-writing
sources weighted to Lean and MathCoder) and heldout7 and heldout8 among the excluded sets; the codereason
classifier is never imported or called. It prints one JSON key per line (with the stratum that
chose it) to stdout and a per-source summary to stderr; no response text is written.

    CODEREASON_REALDATA=/work/shared/realdata .venv/bin/python data/labels/heldout9/programs-select.py \
        > /tmp/h9p/candidates.jsonl
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "heldout5_programs_select", Path(__file__).resolve().parent.parent / "heldout5" / "programs-select.py")
heldout5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heldout5)

heldout5.SEED = 20261250
heldout5.EARLIER_SETS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8")
heldout5.TARGETS = {  # in drawing order: one seeded stream over the sources
    "lean-provers-minif2f": 16,
    "mathcoder-tir-roles": 30,
    "theoremqa-pot-cot-multimodel": 14,
    "pot-codex-gsm8k-aqua": 5,
    "pal-codex-aqua": 3,
    "tora-gsm8k-tir": 3,
}

if __name__ == "__main__":
    heldout5.main()
