"""classify never raises, and finishes on random, huge and pathological text.

That its time grows linearly with the input is checked in tests/test_linear_time.py (traps built from
every pattern's keywords); the worst time per KB is measured by bench/bench_worst_case.py.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codereason import classify

CODEY = st.sampled_from(["```", "```python\n", "`", "\n", "    ", "def ", "import ", "print(", "x = ", "for i in ",
                         ":", "(", ")", "[", "]", "{", "}", "=", "#", "\\boxed{", "isinstance", "=true", "()=>{",
                         "python", "\r\n", "\t", "\x00", "\ud800", "😀"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_on_random_text(text: str) -> None:
    label = classify(text)
    assert all(0 <= start <= end <= len(text) for start, end in label.code_spans)


@settings(max_examples=300, deadline=None)
@given(st.lists(CODEY, max_size=200).map("".join))
def test_never_raises_on_code_like_fragments(text: str) -> None:
    label = classify(text)
    spans = label.code_spans
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:])), spans  # ordered, disjoint
    # the documented schema: a style and a language exactly when code was found
    assert (label.code_style is not None) == (label.code_language is not None) == label.code_reasoning
    # the paper rule ignores case: "Python" and "PYTHON" count as "python" does
    assert classify(text.upper(), mode="paper").code_reasoning == classify(text.lower(), mode="paper").code_reasoning


def _seconds(text: str) -> float:
    start = time.perf_counter()
    classify(text)
    return time.perf_counter() - start


def test_huge_and_pathological_inputs_finish() -> None:
    """10 MB inputs of several shapes each finish; the bound is generous (not a benchmark)."""
    mb = 10 * 1024 * 1024
    shapes = {
        "prose": ("The answer is $x^2$. " * (mb // 21)),
        "backticks": "`" * mb,
        "fence pairs": "```python\nx = 1\n```\n" * (mb // 20),
        "one giant fence": "```python\n" + "x = (" * (mb // 5),
        "code lines": "x = f(1)\n" * (mb // 9),
        "no newlines": "a = b(" * (mb // 6),
        "inline ticks": "`x = f(1)` " * (mb // 11),
        "the issue's trap: for + spaces": "\nfor" + " " * mb + "x",
        "a comma list without =": "\nx" + ", x" * (mb // 3),
        "assignment chain": "".join(f"v{i} = v{i - 1} + 1\n" for i in range(1, mb // 16)),
        "lean tactics": "  nlinarith [sq_nonneg (a - b)]\n  <;> norm_num\n" * (mb // 46),
    }
    for name, text in shapes.items():
        assert _seconds(text) < 60, name
