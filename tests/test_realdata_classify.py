"""The classifier on real rollouts: the paper's numbers, agreement and the hand-labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codereason import classify, read_rows
from codereason.labels import attach_texts, evaluate, load_labels

pytestmark = pytest.mark.realdata

STEPS = ["base", "step50", "step200", "step400", "step1000"]
# "python" in response.lower(): the paper's rule. The issue's 0.548 for the base step
# counts "```python" fences; one base response says "using Python and SymPy" and never
# writes code (record 147), so the paper rule gives 275/500 = 0.550 there.
PAPER_FREQ = [0.550, 0.808, 0.480, 0.818, 0.472]
AST_FREQ = [0.548, 0.808, 0.480, 0.818, 0.472]
# The numbers the issue quotes (from the data's SOURCE.md): "```python" in the response.
FENCE_FREQ = [0.548, 0.808, 0.480, 0.818, 0.472]
# The labels the rules were written on; the independent sets (indep-*.jsonl) are measured in test_independent_dev_labels.
DESIGN_LABEL_FILES = sorted((Path(__file__).parent.parent / "data" / "labels").glob("dev-*.jsonl"))


def math500(spurious_results: Path, step: str) -> list[dict]:
    (path,) = (spurious_results / step).glob("*MATH-500.json")
    return list(read_rows(path))


@pytest.fixture(scope="module")
def labelled_math500(spurious_results):
    return {step: [(r, classify(r["response"])) for r in math500(spurious_results, step)] for step in STEPS}


def test_paper_and_ast_frequencies_per_step(labelled_math500) -> None:
    for step, paper, ast in zip(STEPS, PAPER_FREQ, AST_FREQ):
        labels = [label for _, label in labelled_math500[step]]
        assert len(labels) == 500
        assert round(sum(l.paper_code for l in labels) / 500, 3) == paper, step
        assert round(sum(l.code_reasoning for l in labels) / 500, 3) == ast, step


def test_the_issues_numbers_count_python_fences(labelled_math500) -> None:
    for step, expected in zip(STEPS, FENCE_FREQ):
        assert round(sum("```python" in row["response"] for row, _ in labelled_math500[step]) / 500, 3) == expected, step
    base = {row["problem_id"]: label for row, label in labelled_math500["base"]}
    paper_only = [pid for pid, label in base.items() if label.paper_code and not label.code_reasoning]
    assert paper_only == ["147"]  # "using Python and SymPy", and no code


def test_ast_agrees_with_paper_on_math500(labelled_math500) -> None:
    pairs = [label for step in STEPS for _, label in labelled_math500[step]]
    agreement = sum(l.code_reasoning == l.paper_code for l in pairs) / len(pairs)
    assert agreement >= 0.995


def test_design_set_precision_and_recall(realdata) -> None:
    if not DESIGN_LABEL_FILES:
        pytest.skip("no label files in data/labels")
    rows = attach_texts(load_labels(DESIGN_LABEL_FILES), realdata)
    assert len(rows) >= 300
    scores = evaluate([bool(r["label"]) for r in rows], [classify(r["response"]).code_reasoning for r in rows])
    assert scores["precision"] >= 0.99 and scores["recall"] >= 0.99, scores


def test_tora_outputs_are_all_code(realdata) -> None:
    path = next((realdata / "tora-gsm8k-tir" / "tora-70b-v1.0" / "gsm8k").glob("*.jsonl"))
    labels = [classify(r["response"]) for r in read_rows(path)]
    assert sum(l.code_reasoning for l in labels) / len(labels) >= 0.99
    assert sum(l.has_output_block for l in labels) / len(labels) >= 0.99


INDEPENDENT_LABEL_FILES = sorted((Path(__file__).parent.parent / "data" / "labels").glob("indep-*.jsonl"))


def test_independent_dev_labels(realdata) -> None:
    """The independent dev labels (sources the rules were not designed on; the held-out part is not read here).

    Measured after the fix (rules-v2, data/labels/measurements/after-dev.json): 0 false positives; the
    9 misses of 122 positives are degenerate or syntax-broken programs, 6 labelled borderline.
    """
    rows = attach_texts(load_labels(INDEPENDENT_LABEL_FILES), realdata)
    assert len(rows) >= 300
    scores = evaluate([bool(r["label"]) for r in rows], [classify(r["response"]).code_reasoning for r in rows])
    assert scores["precision"] >= 0.99 and scores["recall"] >= 0.92, scores  # 113 of 122 positives found (0.926)


def _programs(path: Path, field: str) -> list[str]:
    """Texts of a JSONL file's rows that have ``field`` (a list counts by its first item)."""
    texts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            value = row.get(field)
            if "question" in row and value:
                texts.append(value[0] if isinstance(value, list) else value)
    return texts


def test_program_of_thought_assignment_chains_are_code(realdata) -> None:
    """Few-shot PoT programs are bare assignment chains (``ans = ...``): 0.017 and 0.000 code before the fix."""
    folder = realdata / "pot-codex-gsm8k-aqua" / "outputs"
    for name, at_least in (("gsm8K_s0_e-1_11_17_10_20.jsonl", 0.98), ("svamp_s0_e-1_11_24_14_38.jsonl", 0.98)):
        texts = _programs(folder / name, "generated")
        assert len(texts) > 900
        assert sum(classify(t).code_reasoning for t in texts) / len(texts) >= at_least, name
    prose = [json.loads(line).get("rationale") for line in open(folder / "aqua_gpt4_s0_e-1_03_31_22_24.jsonl")]
    prose = [t for t in prose if t]
    assert sum(classify(t).code_reasoning for t in prose) <= 2  # GPT-4 chain-of-thought, no code


def test_mathcoder_code_messages_are_code(realdata) -> None:
    """MathCoder's messages flattened (text, code, execution; no fences): 97.6% of records hold a code message."""
    (path,) = (realdata / "mathcoder-tir-roles" / "outs" / "MathCoder-CL-34b").glob("*/*.jsonl")
    texts = []
    for line in open(path, encoding="utf-8"):
        messages = json.loads(line)["debug_result"]
        texts.append("\n\n".join(str(m["content"]) for m in messages if m["role"] in ("text", "code", "execution")))
    assert sum(classify(t).code_reasoning for t in texts) / len(texts) >= 0.97


def test_lean_proofs_are_lean(realdata) -> None:
    """Lean 4 completions, mostly unfenced: 0.015 code before the fix (and then only via `import Mathlib` as Python)."""
    paths = sorted((realdata / "lean-provers-minif2f" / "data" / "proofs_miniF2F-test").glob("*/*/*.txt"))
    labels = [classify(path.read_text(encoding="utf-8")) for path in paths]
    assert len(labels) == 1440
    assert sum(l.code_language == "lean" for l in labels) / len(labels) >= 0.95
    assert sum(l.code_language == "python" for l in labels) <= 2


def test_theoremqa_chain_of_thought_maths_is_not_code(realdata) -> None:
    """GPT-4 CoT writes formulas like ``v0 = sqrt(4.65^2 + 12.65^2)``: 4 of them were code before the fix."""
    path = realdata / "theoremqa-pot-cot-multimodel" / "outputs" / "GPT4_s0_e-1_06_15_22_38.jsonl"
    texts = [json.loads(line)["rationale"] for line in open(path, encoding="utf-8")]
    assert sum(classify(t).code_reasoning for t in texts) == 0
