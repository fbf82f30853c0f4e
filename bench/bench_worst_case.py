"""The classifier's worst time per KB, and `ast` against the paper rule on real responses.

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/bench_worst_case.py

1. Worst case: ``classify`` on the traps of ``tests/test_linear_time.py`` (each keyword of
   the classifier's shapes followed by one long run of a filler, or many short runs;
   after a newline, in a fence, in an unclosed python fence, inside prose) and on
   large inputs of other shapes (prose, backticks, fence pairs, code lines...): the
   worst milliseconds per KB found, and the shape that gave it (target: <= 20 ms/KB).
2. `ast` against the paper rule on the 8,220 responses of spurious-1p5b-gt-steps:
   agreement, and `ast`'s time over the paper rule's in the same run (best of ``--passes``,
   3 by default; target: >= 99.5% agreement, <= 25x). ``--ratio-only --passes 5`` measures it
   alone, in a process the worst-case search has not run in.

Times are CPU seconds of this process (``time.process_time``), best of several runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_linear_time import CLASSIFY_KEYWORDS, CONTEXTS, traps  # noqa: E402

from codereason import classify, read_rows  # noqa: E402
from codereason.io import iter_input_files  # noqa: E402

FENCE = "```"


def other_shapes(size: int) -> dict[str, str]:
    """Large inputs of the shapes the property tests try, about ``size`` characters each."""
    return {
        "prose": "The answer is $x^2$. " * (size // 21),
        "backticks": "`" * size,
        "fence pairs": f"{FENCE}python\nx = 1\n{FENCE}\n" * (size // 20),
        "one giant fence": f"{FENCE}python\n" + "x = (" * (size // 5),
        "code lines": "x = f(1)\n" * (size // 9),
        "assignment chain": "".join(f"v{i} = v{i - 1} * 2 + 1\n" for i in range(1, size // 20)),
        "no newlines": "a = b(" * (size // 6),
        "inline ticks": "`x = f(1)` " * (size // 11),
        "lean tactics": "  nlinarith [sq_nonneg (a - b)]\n  <;> norm_num\n" * (size // 46),
        "stray junk fences": f"isinstance {FENCE}printf(x; int y; {FENCE}=true ()=>{{ " * (size // 40),
    }


def seconds(text: str, repeats: int) -> float:
    """CPU seconds of ``classify(text)``, best of ``repeats`` (CPU time: other processes on a
    loaded machine do not count)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        classify(text)
        best = min(best, time.process_time() - start)
    return best


def worst_case(size: int, repeats: int) -> tuple[float, str, int]:
    """``(worst ms per KB, its shape, number of inputs tried)``."""
    worst, shape, n = 0.0, "", 0
    candidates = [(f"{keyword!r} trap {i} {context!r}", context.format(trap))
                  for keyword in CLASSIFY_KEYWORDS for context in CONTEXTS
                  for i, trap in enumerate(traps(keyword, size))]
    candidates += list(other_shapes(64 * size).items())
    for name, text in candidates:
        per_kb = 1e3 * seconds(text, repeats) / max(1.0, len(text.encode("utf-8")) / 1024)
        n += 1
        if per_kb > worst:
            worst, shape = per_kb, name
    return worst, shape, n


def agreement_and_ratio(root: Path, passes: int = 3) -> tuple[int, float, float, float]:
    """``(n, agreement of ast with the paper rule, ast seconds, paper seconds)`` on spurious-1p5b-gt-steps (best of ``passes``)."""
    texts = [row["response"] for path in iter_input_files(root / "spurious-1p5b-gt-steps" / "results")
             for row in read_rows(path)]
    classify(texts[0])  # build the parsers outside the timing
    best_ast = best_paper = float("inf")
    for _ in range(passes):
        start = time.process_time()
        labels = [classify(t).code_reasoning for t in texts]
        middle = time.process_time()
        paper = ["python" in t.lower() for t in texts]
        best_ast, best_paper = min(best_ast, middle - start), min(best_paper, time.process_time() - middle)
    agreement = sum(a == p for a, p in zip(labels, paper)) / len(texts)
    return len(texts), agreement, best_ast, best_paper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16_000, help="characters per trap (other shapes: 64x)")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs per input")
    parser.add_argument("--passes", type=int, default=3, help="best of this many passes over the real responses")
    parser.add_argument("--ratio-only", action="store_true", help="skip the worst-case search (the ratio alone, in a fresh process)")
    args = parser.parse_args()
    if args.passes < 1 or args.repeats < 1:
        parser.error("--passes and --repeats take a count of 1 or more")
    print("| measure | value |\n|---|---|")
    if not args.ratio_only:
        worst, shape, n = worst_case(args.size, args.repeats)
        print(f"| worst `classify` time per KB, {n} inputs of {args.size:,} to {64 * args.size:,} chars | "
              f"{worst:.3f} ms/KB ({shape[:60]}) |")
    root = Path(os.environ.get("CODEREASON_REALDATA", "../shared/realdata"))
    if (root / "spurious-1p5b-gt-steps").is_dir():
        n, agreement, ast_s, paper_s = agreement_and_ratio(root, args.passes)
        print(f"| `ast` agrees with the paper rule, {n:,} responses of spurious-1p5b-gt-steps | {100 * agreement:.2f}% |")
        print(f"| `ast` time / paper-rule time, same run (best of {args.passes}) | {ast_s / paper_s:.1f}x "
              f"({ast_s:.2f} s vs {paper_s:.3f} s) |")


if __name__ == "__main__":
    main()
