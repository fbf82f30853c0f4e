"""Toy rollouts the team wrote, for the ``codereason view`` tests and its README screenshots.

Two benchmarks x four problems x two samples x two steps (32 responses), each
response assembled from pieces modelled on what real math rollouts hold: a
```python fence followed by an invented ```output block, an unfenced program,
inline code, a ```text fence holding prose, "Python" mentioned without code,
a C++ fence, and an answer without ``\\boxed{}``. No third-party text.
"""

from __future__ import annotations

import json
from pathlib import Path

PROBLEMS = {
    "toy-arith": [("a1", "What is 17 * 23?", "391"), ("a2", "What is 2^10 - 1?", "1023"),
                  ("a3", "What is the sum of the integers from 1 to 20?", "210"), ("a4", "What is 144 / 12?", "12")],
    "toy-algebra": [("b1", "Solve 3x + 5 = 20.", "5"), ("b2", "What is the larger root of x^2 - 5x + 6 = 0?", "3"),
                    ("b3", "If 2^x = 32, what is x?", "5"), ("b4", "Simplify \\frac{6}{8}.", "\\frac{3}{4}")],
}

PROSE_WORK = "We work it out by hand.\n\nFirst we set up the computation carefully, then we check the result.\n"


def fenced_python(question: str, answer: str) -> str:
    return (f"Let us compute this with Python.\n```python\n# {question}\nresult = {answer!r}\nprint(result)\n```\n"
            f"```output\n{answer}\n```\nThe answer is $\\boxed{{{answer}}}$.")


def unfenced_python(question: str, answer: str) -> str:
    return (f"A short program:\n\ndef solve():\n    return {answer!r}\n\nprint(solve())\n\n"
            f"So the result is \\boxed{{{answer}}}.")


def prose(question: str, answer: str) -> str:
    return PROSE_WORK + f"Doing the arithmetic step by step gives {answer}.\n\nTherefore the answer is \\boxed{{{answer}}}."


def prose_in_fence(question: str, answer: str) -> str:
    return (f"```text\nWe reason in words: the quantity asked for is {answer}.\n```\n"
            f"One could write Python for this, but it is not needed. The answer is \\boxed{{{answer}}}.")


def inline_code(question: str, answer: str) -> str:
    return f"Evaluate `print({answer})` mentally; it prints {answer}. The answer is \\boxed{{{answer}}}."


def cpp_fence(question: str, answer: str) -> str:
    return (f"```cpp\n#include <iostream>\nint main() {{ std::cout << {answer!r}; return 0; }}\n```\n"
            f"It prints {answer}, so the answer is \\boxed{{{answer}}}.")


def wrong(question: str, answer: str) -> str:
    return PROSE_WORK + "After some algebra the result is \\boxed{7}."


def no_box(question: str, answer: str) -> str:
    return PROSE_WORK + "We keep going and going and going and going and going and going."


# Which writer answers (step, benchmark, problem number, sample): the base step talks, the trained one codes.
STYLES = {
    0: [prose, wrong, prose_in_fence, no_box, inline_code, prose, fenced_python, wrong],
    100: [fenced_python, unfenced_python, fenced_python, prose, cpp_fence, fenced_python, prose, fenced_python],
}


def write_toy_rollouts(folder: Path) -> list[Path]:
    """Write ``step0.jsonl`` and ``step100.jsonl`` under ``folder``; returns the two paths."""
    paths = []
    for step, styles in STYLES.items():
        rows = []
        for benchmark, problems in PROBLEMS.items():
            for number, (problem_id, question, gold) in enumerate(problems):
                for sample in range(2):
                    writer = styles[(2 * number + sample + (benchmark == "toy-algebra")) % len(styles)]
                    rows.append({"problem_id": problem_id, "sample_idx": sample, "prompt": question,
                                 "response": writer(question, gold), "gold": gold, "benchmark": benchmark,
                                 "checkpoint": f"toy-step{step}", "step": step})
        path = Path(folder) / f"step{step}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        paths.append(path)
    return paths
