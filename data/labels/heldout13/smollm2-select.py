"""Choose the heldout13 SmolLM2 responses to label (selection only: labels were given by reading).

Run from the repository root:

    PYTHONPATH=$PWD python data/labels/heldout13/smollm2-select.py > /tmp/chosen.json

``../heldout5/smollm2-select.py`` run with the heldout13 files, seed and leave-out counts.
Reads every ``data/labels/texts/heldout13-smollm2-*.jsonl`` (our own generations, engine seeds 127 and 131,
both T 1.0 on all 100 problems) and chooses with one seeded stream per file
(``random.Random("20261313-<setting>")``); the strata, text rules (the codereason classifier is NOT imported
or called), line numbering and output are heldout5's (see its docstring). heldout13 has 200 responses
(100 per seed), the whole set wanted, so ``LEAVE_OUT`` is 0 for both files and every response is chosen;
the strata are still reported. The s127 file is labelled in ``smollm2-s127.jsonl``, the s131 file in
``smollm2-s131.jsonl`` (by another helper).
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "heldout5_smollm2_select", Path(__file__).resolve().parent.parent / "heldout5" / "smollm2-select.py")
heldout5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heldout5)

heldout5.SEED = "20261313"
heldout5.LEAVE_OUT = {"python-t1.0-s127": 0, "python-t1.0-s131": 0}
heldout5.FILE_PREFIX = "heldout13-smollm2-"

if __name__ == "__main__":
    heldout5.main()
