"""Classifier throughput and streaming memory (numbers go into the README).

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/bench_classify.py

1. ``ast`` mode on one core over the 8,220 responses of spurious-1p5b-gt-steps,
   as responses/s and as a ratio to the paper rule's time in the same run;
2. ``classify_many`` with 2 processes against 1;
3. peak RSS of ``codereason tag`` streaming a 1x and an 8x copy of those
   responses (flat memory: the two peaks should be about equal).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codereason import classify, classify_many, read_rows
from codereason.io import iter_input_files


def load_texts(root: Path) -> list[str]:
    files = iter_input_files(root / "spurious-1p5b-gt-steps" / "results")
    return [row["response"] for path in files for row in read_rows(path)]


def best_of(n: int, func) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_rss_mb(command: list[str]) -> float:
    """Peak resident memory of a child process, in MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def write_copies(texts: list[str], copies: int, path: Path) -> Path:
    with open(path, "w") as handle:
        for copy in range(copies):
            for i, text in enumerate(texts):
                handle.write(json.dumps({"id": f"{copy}-{i}", "text": text}) + "\n")
    return path


def main() -> None:
    root = Path(os.environ.get("CODEREASON_REALDATA", "../shared/realdata"))
    texts = load_texts(root)
    n = len(texts)
    classify(texts[0])  # build the parser outside the timing
    ast_s = best_of(3, lambda: [classify(t) for t in texts])
    paper_s = best_of(3, lambda: ["python" in t.lower() for t in texts])
    one_s = best_of(1, lambda: classify_many(texts, n_jobs=1))
    two_s = best_of(1, lambda: classify_many(texts, n_jobs=2))
    many = texts * 4
    one_many_s = best_of(1, lambda: classify_many(many, n_jobs=1))
    two_many_s = best_of(1, lambda: classify_many(many, n_jobs=2))
    print("| measure | value |\n|---|---|")
    print(f"| responses | {n} ({sum(map(len, texts)) / 1e6:.1f} MB of text) |")
    print(f"| `ast` mode, 1 core | {n / ast_s:,.0f} responses/s |")
    print(f"| paper rule, 1 core | {n / paper_s:,.0f} responses/s |")
    print(f"| `ast` time / paper-rule time | {ast_s / paper_s:.0f}x |")
    print(f"| `classify_many` -j 2 vs -j 1 (incl. pool start) | {one_s / two_s:.2f}x faster |")
    print(f"| same on 4 copies ({len(many)} responses) | {one_many_s / two_many_s:.2f}x faster |")
    with tempfile.TemporaryDirectory() as tmp:
        for copies in (1, 8):
            path = write_copies(texts, copies, Path(tmp) / f"x{copies}.jsonl")
            size = path.stat().st_size / 1e6
            rss = peak_rss_mb([sys.executable, "-m", "codereason", "tag", str(path), "--text-field", "text",
                               "--id-field", "id", "-o", str(Path(tmp) / "out.jsonl")])
            print(f"| `codereason tag` peak RSS, {size:.0f} MB input ({copies}x) | {rss:.0f} MiB |")


if __name__ == "__main__":
    main()
