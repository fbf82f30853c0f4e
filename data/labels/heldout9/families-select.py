"""Choose candidates for the held-out label set heldout9/families.jsonl (seed 20261251).

This script only CHOOSES which responses to read; every label was given by a person reading
the text (see families.md). It is ``heldout5/families-select.py`` (strata, key forms, the drawing,
exclusion rules: see its docstring) run with another seed, targets over ten sources (weighted towards
the degenerate small models) and heldout7 and heldout8 among the excluded sets; the codereason classifier is
never imported or called. It prints one JSON key per line (with the stratum that chose it) to
stdout and a per-source summary to stderr; no response text is written.

    CODEREASON_REALDATA=/work/shared/realdata .venv/bin/python data/labels/heldout9/families-select.py > /tmp/h9f/candidates.jsonl
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "heldout5_families_select", Path(__file__).resolve().parent.parent / "heldout5" / "families-select.py")
heldout5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heldout5)

heldout5.SEED = 20261251
heldout5.EARLIER_SETS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8")
heldout5.TARGETS = {  # in drawing order: one seeded stream over the sources
    "justrl-smollm-360m-aime25": 12,
    "thinking-hybrid-r1distill-qwq": 10,
    "qwen25-math-7b-harness": 10,
    "spurious-1p5b-gt-steps": 10,
    "olmo2-1b-gsm8k-baseline": 8,
    "justrl-qwen25-0p5b-gsm8k": 8,
    "cs336-grpo-qwen1p5b-rollouts": 4,
    "llama3-8b-gsm8k-cs336-2024": 3,
    "skythought-results-json": 3,
    "qwen25-math-instruct-maj8-math100": 2,
}

if __name__ == "__main__":
    heldout5.main()
