"""Choose the heldout5 SmolLM2 responses to label (selection only: labels were given by reading).

Run from the repository root:

    PYTHONPATH=$PWD python data/labels/heldout5/smollm2-select.py > /tmp/chosen.json

A copy of ``../heldout4/smollm2-select.py`` with the heldout5 files, seed and leave-out counts.
Reads every ``data/labels/texts/heldout5-smollm2-*.jsonl`` (our own generations, engine seed 73),
computes the strata below per file from the ``response`` text with plain text rules (the
codereason classifier is NOT imported or called), and chooses with one seeded stream per file
(``random.Random("20261214-<setting>")``), so one file's draw does not depend on another's.

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
code-like token), then from L. heldout5 has only 50 responses (20 at T 1.0, 30 at T 1.3), fewer
than the ~60-65 wanted, so ``LEAVE_OUT`` is 0 for both files and every response is chosen; the
draw is kept so the script reads like heldout4's and the strata are still reported.

Lines of the files are numbered by iterating the file with ``newline="\\n"`` (as ``attach_texts``
does), never with ``str.splitlines()`` on the whole file.

Prints per-file stratum sizes on stderr and the chosen keys (setting, record = 0-based line,
stratum) as JSON on stdout, in a seeded shuffled order.
"""

import collections
import json
import random
import re
import sys
from pathlib import Path

TEXTS = Path("data/labels/texts")
SEED = "20261214"
CODE_LINE = re.compile(
    r"^\s*(>>>\s*)?(def |class |import |from \w+ import|print\(|for \w+ in |while |return |if .*:\s*$|[A-Za-z_]\w*(\[[^\]]*\])? = )",
    re.M,
)
INLINE = re.compile(r"`[^`\n]*[(=+*/%][^`\n]*`")
CODE_TOKENS = re.compile(r"\(\)|==|\[\]|\{\}|;|->|\w\(\w")
LEAVE_OUT = {"python-t1.0": 0, "python-t1.3": 0}
FILE_PREFIX = "heldout5-smollm2-"  # the files read: data/labels/texts/FILE_PREFIX*.jsonl


def repeated_line_share(text: str) -> float:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 6:
        return 0.0
    return max(collections.Counter(lines).values()) / len(lines)


def describe(record: int, line: str) -> dict:
    row = json.loads(line)
    text = row["response"]
    return {
        "record": record,
        "python": "python" in text.lower(),
        "fence": "```" in text or ">>>" in text,
        "code_line": bool(CODE_LINE.search(text)),
        "inline": bool(INLINE.search(text)),
        "code_tokens": bool(CODE_TOKENS.search(text)),
        "loop": row["provenance"]["finish_reason"] == "length" or repeated_line_share(text) > 0.3,
    }


def stratum(r: dict) -> str:
    for flag, name in (
        ("python", "P_python"),
        ("fence", "K_fence"),
        ("code_line", "C_codeline"),
        ("inline", "I_inline"),
        ("code_tokens", "Y_code_tokens"),
        ("loop", "L_length_or_loop"),
    ):
        if r[flag]:
            return name
    return "R_rest"


def main() -> None:
    chosen = []
    for path in sorted(TEXTS.glob(f"{FILE_PREFIX}*.jsonl")):
        setting = path.stem.removeprefix(FILE_PREFIX)
        with open(path, encoding="utf-8", newline="\n") as handle:
            rows = [describe(record, line) for record, line in enumerate(handle)]
        rng = random.Random(f"{SEED}-{setting}")
        by = collections.defaultdict(list)
        for r in rows:
            by[stratum(r)].append(r["record"])
        leave = LEAVE_OUT.get(setting, 0)
        left_out = set()
        for name in ("R_rest", "L_length_or_loop"):
            k = min(leave - len(left_out), len(by[name]))
            if k > 0:
                left_out.update(rng.sample(by[name], k))
        for name in sorted(by):
            taken = [rec for rec in by[name] if rec not in left_out]
            chosen += [{"setting": setting, "record": rec, "stratum": name} for rec in taken]
            print(setting, name, "in file", len(by[name]), "chosen", len(taken), file=sys.stderr)
    random.Random(SEED).shuffle(chosen)
    print(len(chosen), "chosen", file=sys.stderr)
    json.dump(chosen, sys.stdout, indent=0)


if __name__ == "__main__":
    main()
