"""Choose the heldout14 SmolLM2 responses to label (selection only: labels were given by reading).

Run from the repository root:

    PYTHONPATH=$PWD python data/labels/heldout14/smollm2-select.py > /tmp/chosen.json

``../heldout5/smollm2-select.py`` run with the heldout14 files, seed and leave-out counts.
Reads every ``data/labels/texts/heldout14-smollm2-*.jsonl`` (our own generations, engine seeds 137, 139
and 149, all T 1.0 on all 100 problems) and chooses with one seeded stream per file
(``random.Random("20261314-<setting>")``); the strata, text rules (the codereason classifier is NOT
imported or called), line numbering and output are heldout5's (see its docstring). heldout14 has 300
responses (100 per seed), the whole set wanted, so ``LEAVE_OUT`` is 0 for all three files and every
response is chosen; the strata are still reported. The s137 file is labelled in ``smollm2-s137.jsonl``,
the s139 file in ``smollm2-s139.jsonl`` and the s149 file in ``smollm2-s149.jsonl`` (by other helpers).
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "heldout5_smollm2_select", Path(__file__).resolve().parent.parent / "heldout5" / "smollm2-select.py")
heldout5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heldout5)

heldout5.SEED = "20261314"
heldout5.LEAVE_OUT = {"python-t1.0-s137": 0, "python-t1.0-s139": 0, "python-t1.0-s149": 0}
heldout5.FILE_PREFIX = "heldout14-smollm2-"

if __name__ == "__main__":
    heldout5.main()
