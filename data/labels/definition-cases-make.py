"""Write the definition's case table (``tests/test_classify.py::CASES``) as labels the learned model trains on.

The cases are our own texts, one per convention of ``data/labels/README.md`` (prose in a python fence,
a substitution written inline, Java regurgitated mid-statement...): a linear model or a tree fitted on
real labels alone can miss a convention that real data shows rarely, so they join the training labels
as one more source (``definition-cases.jsonl``, scored apart in cross-validation like any other).

    .venv/bin/python data/labels/definition-cases-make.py

writes ``data/labels/texts/definition-cases.jsonl`` (the texts, ``response`` per line) and
``data/labels/definition-cases.jsonl`` (keys into it, label, category, note).
``tests/test_label_sets.py`` fails when they no longer match the case table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LABELS = Path(__file__).resolve().parent
sys.path.insert(0, str(LABELS.parent.parent))

from tests.test_classify import CASES  # noqa: E402  (the repository root is put on the path first)

TEXTS = LABELS / "texts" / "definition-cases.jsonl"
KEYS = LABELS / "definition-cases.jsonl"


def category(case) -> str:
    """The label category of a case (``data/labels/README.md``)."""
    if not case.code:
        return "other"
    if case.style == "inline":
        return "inline_code"
    if case.style == "fenced":
        return "fenced_python" if case.language == "python" else "fenced_other_lang"
    return "unfenced_code"


def rows() -> tuple[list[str], list[str]]:
    """The lines of the two files."""
    texts = [json.dumps({"response": c.text, "note": c.note}, ensure_ascii=False) for c in CASES]
    keys = [json.dumps({"source": "./texts/definition-cases.jsonl", "record": i, "sample": 0, "pointer": "/response",
                        "label": int(c.code), "category": category(c), "note": "definition case: " + c.note},
                       ensure_ascii=False) for i, c in enumerate(CASES)]
    return texts, keys


if __name__ == "__main__":
    texts, keys = rows()
    TEXTS.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    KEYS.write_text("".join(k + "\n" for k in keys), encoding="utf-8")
    print(f"wrote {len(keys)} cases to {KEYS} and {TEXTS}")
