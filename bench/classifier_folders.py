"""Share of code (`ast`) on whole real-data folders whose answer is known by construction (numbers in the README).

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/classifier_folders.py

Program-of-Thought programs (``pot-codex-gsm8k-aqua``, the ``generated`` field of every file but the
GPT-4 chain of thought; a list counts by its first item), MathCoder-CL-34B records (their text, code
and execution messages joined), Lean 4 proofs (``lean-provers-minif2f``, judged as Lean) and the
TheoremQA GPT-4 chain of thought (formulas, no code). The tests in ``tests/test_realdata_classify.py``
hold floors under the same numbers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from codereason.classifier import classify


def pot_programs(root: Path) -> list[str]:
    texts = []
    for path in sorted((root / "pot-codex-gsm8k-aqua" / "outputs").glob("*.jsonl")):
        if "gpt4" in path.name:
            continue
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            value = row.get("generated")
            if "question" in row and value:
                texts.append(value[0] if isinstance(value, list) else value)
    return texts


def mathcoder_records(root: Path) -> list[str]:
    (path,) = (root / "mathcoder-tir-roles" / "outs" / "MathCoder-CL-34b").glob("*/*.jsonl")
    roles = ("text", "code", "execution")
    return ["\n\n".join(str(m["content"]) for m in json.loads(line)["debug_result"] if m["role"] in roles)
            for line in path.open(encoding="utf-8")]


def main() -> None:
    root = Path(os.environ.get("CODEREASON_REALDATA", "../shared/realdata"))
    for name, texts in (("PoT programs", pot_programs(root)), ("MathCoder-CL-34B records", mathcoder_records(root))):
        print(f"{name}: {sum(classify(t).code_reasoning for t in texts) / len(texts):.3f} code of {len(texts)}")
    proofs = sorted((root / "lean-provers-minif2f" / "data" / "proofs_miniF2F-test").glob("*/*/*.txt"))
    lean = sum(classify(p.read_text(encoding="utf-8")).code_language == "lean" for p in proofs)
    print(f"Lean proofs: {lean / len(proofs):.3f} as Lean of {len(proofs)}")
    gpt4 = root / "theoremqa-pot-cot-multimodel" / "outputs" / "GPT4_s0_e-1_06_15_22_38.jsonl"
    texts = [json.loads(line)["rationale"] for line in gpt4.open(encoding="utf-8")]
    print(f"TheoremQA GPT-4 chain of thought: {sum(classify(t).code_reasoning for t in texts)} of {len(texts)} code")


if __name__ == "__main__":
    main()
