"""Choose the heldout12 SmolLM2 responses to label (selection only: labels were given by reading).

Run from the repository root:

    PYTHONPATH=$PWD python data/labels/heldout12/smollm2-select.py > /tmp/chosen.json

``../heldout5/smollm2-select.py`` run with the heldout12 files, seed and leave-out counts.
Reads every ``data/labels/texts/heldout12-smollm2-*.jsonl`` (our own generations, engine seed 113) and
chooses with one seeded stream per file (``random.Random("20261312-<setting>")``); the strata, text rules
(the codereason classifier is NOT imported or called), line numbering and output are heldout5's (see its
docstring). heldout12 has 140 responses (100 at T 1.0, 40 at T 1.1), the whole set wanted, so ``LEAVE_OUT`` is 0 for both
files and every response is chosen; the strata are still reported.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "heldout5_smollm2_select", Path(__file__).resolve().parent.parent / "heldout5" / "smollm2-select.py")
heldout5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heldout5)

heldout5.SEED = "20261312"
heldout5.LEAVE_OUT = {"python-t1.0": 0, "python-t1.1": 0}
heldout5.FILE_PREFIX = "heldout12-smollm2-"

if __name__ == "__main__":
    heldout5.main()
