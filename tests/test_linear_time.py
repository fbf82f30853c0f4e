"""Every classifier pattern, and ``classify`` itself, take time linear in the input.

Traps are built from each pattern's own alternatives: each keyword the pattern
names, followed by a long run of one filler (spaces, tabs, commas, brackets...),
or a short run repeated many times; outside and inside fences. Each trap is
timed at two sizes, 4x apart; linear time means at most ~5x the time (quadratic
backtracking gives 16x, cubic 64x). Times are the minimum of several repeats, so
a loaded machine slows both sizes alike; this is a complexity check, not a timed
target (the worst time per KB is reported by ``bench/bench_worst_case.py``).
"""

from __future__ import annotations

import re
import time
from typing import Callable, Iterator

import pytest

from codereason import classify
from codereason.classifier import grammars, patterns, segments, verify

FILLERS = (" ", "\t", ",", ", ", "(", "[", "{", ")", "a", "a ", "x, ", ":", ";", "=", "`", " \n", "\r\n", "_", "1", "-")
MAX_KEYWORDS = 8  # per pattern, spread evenly over its sorted keywords
# Keywords of the classifier's own shapes, for the slower whole-classify traps.
CLASSIFY_KEYWORDS = ("for", "for i", "while", "def", "class", "import", "from", "print", "return", "x =", "x, y =",
                     "a[", "#include", "theorem", "have", ":= by", "<;>", "nlinarith", "rw [", "let", "fn", "#", "`",
                     "```", "```python\n", "```cpp\n", "```lean4\n", "/-", "--", "h₀", "console.log(", "x <-", ">>>", ">>> x =")
CONTEXTS = ("\n{}", "```\n{}\n```\n", "```python\n{}", "Text. {} more text.\n")
RATIO = 5.0
# Below this, a loaded machine's noise rules: a 4x input may take 5 ms more than 5x. Backtracking
# of the kind fixed here costs seconds at these sizes (quadratic: 16x per 4x, cubic: 64x).
FLOOR_S = 0.005


def classifier_patterns() -> dict[str, re.Pattern]:
    """Every compiled pattern of the classifier's modules, by ``module.NAME``."""
    found = {}
    for module in (patterns, segments, grammars, verify):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found[f"{module.__name__.rsplit('.', 1)[1]}.{name}"] = value
            elif isinstance(value, dict):
                found.update({f"{module.__name__.rsplit('.', 1)[1]}.{name}[{k}]": v
                              for k, v in value.items() if isinstance(v, re.Pattern)})
    return found


def keywords(pattern: re.Pattern) -> list[str]:
    """The literal words and punctuation a pattern names (its alternatives' openings)."""
    source = re.sub(r"\\[a-zA-Z]", " ", pattern.pattern)  # drop escapes like \s, \w, \b
    words = sorted(set(re.findall(r"[A-Za-z_][A-Za-z_.!:]+", source)))
    step = max(1, len(words) // MAX_KEYWORDS)
    return words[::step] + sorted(set(re.findall(r"[#@<;:=(){}\[\],`^·•_\-]", source))) + [""]


def traps(keyword: str, size: int) -> Iterator[str]:
    """Shapes of about ``size`` characters: one long run after the keyword, or many short ones."""
    for filler in FILLERS:
        yield keyword + filler * (size // len(filler)) + "x"
        unit = keyword + filler * 40 + "x\n"
        yield unit * max(1, size // len(unit))


def best_times(small: Callable[[], object], large: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The minimum time of each over ``repeats`` interleaved runs (load hits both alike)."""
    t1 = t4 = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        small()
        middle = time.perf_counter()
        large()
        t1, t4 = min(t1, middle - start), min(t4, time.perf_counter() - middle)
    return t1, t4


def grows_linearly(make: Callable[[int], Callable[[], object]], size: int, repeats: int = 3,
                   floor: float = FLOOR_S) -> tuple[bool, float, float]:
    """``(ok, t(size), t(4 size))``; a failure is measured again (twice, more repeats) before it counts."""
    small, large = make(size), make(4 * size)
    t1, t4 = best_times(small, large, repeats)
    for _ in range(2):
        if t4 <= RATIO * t1 + floor:
            break
        t1, t4 = best_times(small, large, 5 * repeats)
    return t4 <= RATIO * t1 + floor, t1, t4


def scan(pattern: re.Pattern, text: str) -> Callable[[], object]:
    """The most a search can cost: every match in the text (each start position tried)."""
    return lambda: sum(1 for _ in pattern.finditer(text))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(classifier_patterns()))
def test_each_pattern_is_linear_on_traps_built_from_its_keywords(name: str) -> None:
    pattern = classifier_patterns()[name]
    failures = []
    for keyword in keywords(pattern):
        for index in range(0, 2 * len(FILLERS), 2 if keyword else 1):
            def make(size: int, keyword=keyword, index=index):
                return scan(pattern, list(traps(keyword, size))[index])

            ok, t1, t4 = grows_linearly(make, 1000)
            if not ok:
                failures.append(f"{keyword!r} trap {index}: {t1 * 1e3:.2f} ms -> {t4 * 1e3:.2f} ms for 4x the input")
    assert not failures, failures[:5]


@pytest.mark.slow
@pytest.mark.parametrize("context", CONTEXTS, ids=["after a newline", "in a fence", "in an unclosed python fence",
                                                   "inside prose"])
def test_classify_is_linear_on_keyword_traps(context: str) -> None:
    failures = []
    for keyword in CLASSIFY_KEYWORDS:
        for index in range(0, 2 * len(FILLERS), 5):
            def make(size: int, keyword=keyword, index=index):
                text = context.format(list(traps(keyword, size))[index])
                return lambda: classify(text)

            # 4,000 characters and up: a segment's parse is capped there, and tree-sitter's error
            # recovery inside the cap is not linear (bounded work, not a backtracking regex)
            ok, t1, t4 = grows_linearly(make, 4000, repeats=2, floor=0.02)  # a whole classify: 20 ms of noise
            if not ok:
                failures.append(f"{keyword!r} trap {index}: {t1 * 1e3:.2f} ms -> {t4 * 1e3:.2f} ms for 4x the input")
    assert not failures, failures[:5]


def test_the_issues_trap_is_fast() -> None:
    """``"\\nfor" + " " * 4000 + "x"`` took 56 s before the patterns were made possessive."""
    ok, t1, t4 = grows_linearly(lambda size: (lambda: classify("\nfor" + " " * size + "x")), 4000)
    assert ok, (t1, t4)
    assert t4 < 1.0


@pytest.mark.parametrize("name", ["patterns.CODE_LINE_START", "patterns.STRONG_CODE_LINE", "segments._CANDIDATE_LINE"])
def test_the_line_patterns_are_linear_on_whitespace_runs(name: str) -> None:
    """The fast subset: the two patterns the issue found backtracking, on runs of blanks and commas."""
    pattern = classifier_patterns()[name]
    for keyword in ("for", "x", "x, y", "while", "print", "import", "a["):
        for filler in (" ", "\t", ", ", "_"):
            ok, t1, t4 = grows_linearly(lambda size, k=keyword, f=filler: scan(pattern, "\n" + k + f * size + "x"), 4000)
            assert ok, (keyword, filler, t1, t4)
