"""Choose the SmolLM2 responses to read for indep-smollm2 (selection only: labels were given by reading).

Run from the repository root:

    PYTHONPATH=$PWD python data/labels/indep-smollm2-select.py > /tmp/chosen.json

Reads every ``data/labels/texts/smollm2-*.jsonl`` (our own generations), computes the strata
below per file, and draws from them with one seeded stream per file (``random.Random(
"20261202-<setting>")``), so adding a file does not change what is drawn from the others.
Prints per-file stratum sizes (whole file) and drawn counts on stderr, and the chosen keys
(setting, record = 0-based line, stratum) as JSON on stdout.
"""

import collections
import json
import random
import re
import sys
from pathlib import Path

from codereason import classify

TEXTS = Path("data/labels/texts")
FENCE = re.compile(r"^\s*```\s*([^\s`]*)", re.M)
CODE_LINE = re.compile(r"^\s*(def |import |from \w+ import|print\(|for \w+ in |while |return |[A-Za-z_]\w* = )", re.M)
PLAIN_TAGS = ("", "python", "py", "output")
CENSUS = ("python-t1.0", "plain-t1.0")  # the coherent settings: every response is read
PER_FILE = {"F": 4, "E": 2, "L": 4, "C": 3, "A": 6, "R": 4}


def outside_fences(text: str) -> str:
    return "".join(text.split("```")[0::2])


def repeated_line_share(text: str) -> float:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 6:
        return 0.0
    return max(collections.Counter(lines).values()) / len(lines)


def describe(setting: str, record: int, line: str) -> dict:
    row = json.loads(line)
    text = row["response"]
    ast, paper = classify(text, "ast"), classify(text, "paper")
    tags = FENCE.findall(text)
    return {"setting": setting, "record": record, "ast": ast.code_reasoning, "paper": paper.code_reasoning,
            "language": ast.code_language, "tags": tags, "finish": row["provenance"]["finish_reason"],
            "repeat": repeated_line_share(text), "code_line_outside": bool(CODE_LINE.search(outside_fences(text)))}


def strata(rows: list[dict]) -> dict[str, list[dict]]:
    """Stratum name -> members, in the order they are drawn (D and O taken whole)."""
    return {
        "D_ast_paper_disagree": [r for r in rows if r["ast"] != r["paper"]],
        "O_ast_code_lang_other": [r for r in rows if r["ast"] and r["language"] == "other"],
        "F_odd_fence_tags": [r for r in rows if any(t.lower() not in PLAIN_TAGS for t in r["tags"])],
        "E_unterminated_fence": [r for r in rows if len(r["tags"]) % 2 == 1],
        "L_length_or_repetition": [r for r in rows if r["finish"] == "length" or r["repeat"] > 0.3],
        "C_codeline_outside_fence": [r for r in rows if r["code_line_outside"]],
        "A_ast_code": [r for r in rows if r["ast"]],
        "R_random": list(rows),
    }


def main() -> None:
    chosen: dict[tuple[str, int], str] = {}
    for path in sorted(TEXTS.glob("smollm2-*.jsonl")):
        setting = path.stem.removeprefix("smollm2-")
        with open(path, encoding="utf-8") as handle:
            rows = [describe(setting, record, line) for record, line in enumerate(handle)]
        rng = random.Random(f"20261202-{setting}")
        for name, members in strata(rows).items():
            free = [r for r in members if (setting, r["record"]) not in chosen]
            k = PER_FILE.get(name[0])
            drawn = rng.sample(free, k) if k is not None and len(free) > k else free
            for r in drawn:
                chosen[(setting, r["record"])] = name
            print(setting, name, "in file", len(members), "drawn", len(drawn), file=sys.stderr)
        if setting in CENSUS:
            rest = [r for r in rows if (setting, r["record"]) not in chosen]
            for r in rest:
                chosen[(setting, r["record"])] = "Z_census_rest"
            print(setting, "Z_census_rest drawn", len(rest), file=sys.stderr)
    print(len(chosen), "chosen", file=sys.stderr)
    json.dump([{"setting": s, "record": r, "stratum": v} for (s, r), v in chosen.items()], sys.stdout, indent=0)


if __name__ == "__main__":
    main()
