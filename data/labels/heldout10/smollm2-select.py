"""Choose the heldout10 SmolLM2 responses to label (selection only: labels were given by reading).

Run from the repository root:

    PYTHONPATH=$PWD python data/labels/heldout10/smollm2-select.py > /tmp/chosen.json

``../heldout5/smollm2-select.py`` run with the heldout10 files, seed and leave-out counts.
Reads every ``data/labels/texts/heldout10-smollm2-*.jsonl`` (our own generations, engine seed 97),
computes the strata below per file from the ``response`` text with plain text rules (the
codereason classifier is NOT imported or called), and chooses with one seeded stream per file
(``random.Random("20261262-<setting>")``), so one file's draw does not depend on another's.

Strata, in this order; a response is counted once, in the first stratum that takes it:

* ``P_python``          ``"python" in text.lower()``                                       (taken whole)
* ``K_fence``           any ```` ``` ```` or a ``>>>`` prompt in the text                   (taken whole)
* ``C_codeline``        a code-like line (``def``, ``import``, ``print(``, ``x = ``...)       (taken whole)
* ``I_inline``          a backtick span holding ``(``, ``=`` or an operator                  (taken whole)
* ``Y_code_tokens``     code-ish tokens anywhere (``()``, ``==``, ``[]``, ``{}``, ``;``, ``->``, ``name(x``)  (taken whole)
* ``L_length_or_loop``  finish ``length`` or one line > 30% of non-blank lines            (drawn)
* ``R_rest``            everything else                                                    (drawn)

The "code-like" strata P, K, C, I, Y are taken whole. Of the responses left (L, R), a seeded
draw leaves out up to ``LEAVE_OUT[setting]``; the leave-outs come from R first (prose with no
code-like token), then from L. heldout10 has 80 responses (40 at T 1.0, 40 at T 1.1), the
whole set wanted, so ``LEAVE_OUT`` is 0 for both files and every response is chosen; the
draw is kept so the script reads like heldout4's and heldout5's and the strata are still reported.

Lines of the files are numbered by iterating the file with ``newline="\\n"`` (as ``attach_texts``
does), never with ``str.splitlines()`` on the whole file.

Prints per-file stratum sizes on stderr and the chosen keys (setting, record = 0-based line,
stratum) as JSON on stdout, in a seeded shuffled order.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "heldout5_smollm2_select", Path(__file__).resolve().parent.parent / "heldout5" / "smollm2-select.py")
heldout5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heldout5)

heldout5.SEED = "20261262"
heldout5.LEAVE_OUT = {"python-t1.0": 0, "python-t1.1": 0}
heldout5.FILE_PREFIX = "heldout10-smollm2-"

if __name__ == "__main__":
    heldout5.main()
