"""Classifier throughput and streaming memory (numbers go into the README).

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/bench_classify.py

1. ``ast`` mode on one core over the 8,220 responses of spurious-1p5b-gt-steps,
   as responses/s and as a ratio to the paper rule's time in the same run;
2. ``classify_many`` with 2 processes against 1, on those responses and on
   4 copies of them: the two runs alternate ``--repeats`` times (machine
   noise hits both alike) and the median and range of the ratio are shown;
   next to it the machine's own ceiling: the throughput of two fresh
   processes each labelling all the responses side by side, against one alone;
3. ``codereason tag -j 2`` against ``-j 1`` end to end, alternating the same
   way: on the 20 JSON files of spurious-1p5b-gt-steps (8,220 responses; each
   file is one worker's piece) and on the 4 copies as one JSONL file (cut into
   pieces of whole lines), JSONL out; and ``tag_files`` called in this
   process on the 20 files (Python start-up and imports, ~0.2 s that no
   worker can share, left out);
4. peak RSS of ``codereason tag`` streaming a 1x and an 8x copy of those
   responses (flat memory: the two peaks should be about equal).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codereason import classify, classify_many, read_rows
from codereason.io import iter_input_files
from codereason.tagging import tag_files
from codereason.writers import RowWriter


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
    """Peak resident memory of the largest process that ``command`` runs (itself or a worker), in MiB.

    Measured in a fresh wrapper process, whose children are only this command's.
    """
    wrapper = ("import resource, subprocess, sys; "
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True)
    return int(result.stdout) / 1024


def write_copies(texts: list[str], copies: int, path: Path) -> Path:
    with open(path, "w") as handle:
        for copy in range(copies):
            for i, text in enumerate(texts):
                handle.write(json.dumps({"id": f"{copy}-{i}", "text": text}) + "\n")
    return path


def speedup(one, two, repeats: int) -> str:
    """Median and range of ``time(one) / time(two)`` over alternating runs."""
    ratios = [best_of(1, one) / best_of(1, two) for _ in range(repeats)]
    return f"{statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})"


def timed_loops(n_processes: int) -> float:
    """Seconds the slowest of ``n_processes`` fresh processes takes to label all the responses,
    all starting at the same instant. Fresh processes (not forks) share no memory, so this is
    the machine's own ceiling for running two labelling processes at once."""
    start_at = time.time() + 4  # time enough for each to load the texts first
    script = ("import sys, time; sys.path.insert(0, 'bench'); from pathlib import Path; "
              "from bench_classify import load_texts; from codereason import classify; "
              "texts = load_texts(Path(sys.argv[1])); classify(texts[0]); time.sleep(max(0, float(sys.argv[2]) - time.time())); "
              "t = time.perf_counter(); [classify(x) for x in texts]; print(time.perf_counter() - t)")
    root = os.environ.get("CODEREASON_REALDATA", "../shared/realdata")
    procs = [subprocess.Popen([sys.executable, "-c", script, root, str(start_at)], stdout=subprocess.PIPE, text=True)
             for _ in range(n_processes)]
    return max(float(proc.communicate()[0]) for proc in procs)


def ceiling(repeats: int) -> str:
    """Median and range of the throughput of 2 fresh processes side by side over 1 alone."""
    ratios = [2 * timed_loops(1) / timed_loops(2) for _ in range(repeats)]
    return f"{statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})"


def tag_command(path: Path, out: Path, jobs: int) -> list[str]:
    fields = ["--text-field", "text", "--id-field", "id"] if path.suffix == ".jsonl" else []
    return [sys.executable, "-m", "codereason", "tag", str(path), *fields, "-o", str(out), "-j", str(jobs)]


def tag_in_process(files: list[Path], out: Path, jobs: int) -> None:
    with RowWriter(out) as writer:
        tag_files(files, writer, n_jobs=jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="alternating runs per speed-up ratio")
    args = parser.parse_args()
    root = Path(os.environ.get("CODEREASON_REALDATA", "../shared/realdata"))
    texts = load_texts(root)
    n = len(texts)
    classify(texts[0])  # build the parser outside the timing
    ast_s = best_of(3, lambda: [classify(t) for t in texts])
    paper_s = best_of(3, lambda: ["python" in t.lower() for t in texts])
    many = texts * 4
    print("| measure | value |\n|---|---|")
    print(f"| responses | {n} ({sum(map(len, texts)) / 1e6:.1f} MB of text) |")
    print(f"| `ast` mode, 1 core | {n / ast_s:,.0f} responses/s |")
    print(f"| paper rule, 1 core | {n / paper_s:,.0f} responses/s |")
    print(f"| `ast` time / paper-rule time | {ast_s / paper_s:.0f}x |")
    print(f"| ceiling: throughput of 2 independent processes side by side vs 1 alone | {ceiling(max(3, args.repeats // 2))} |")
    for label, batch in ((f"{n:,}", texts), (f"{len(many):,}", many)):
        ratio = speedup(lambda: classify_many(batch, n_jobs=1), lambda: classify_many(batch, n_jobs=2), args.repeats)  # noqa: B023 (called in the loop)
        print(f"| `classify_many` -j 2 vs -j 1, {label} responses (fork included) | {ratio} faster |")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        sources = ((f"{n:,} responses, 20 JSON files", root / "spurious-1p5b-gt-steps" / "results"),
                   (f"{len(many):,} responses, one JSONL file", write_copies(texts, 4, Path(tmp) / "x4.jsonl")))
        for label, path in sources:
            run = lambda jobs: subprocess.run(tag_command(path, out, jobs), check=True, capture_output=True)  # noqa: E731, B023 (called in the loop)
            ratio = speedup(lambda: run(1), lambda: run(2), max(3, args.repeats // 2))  # noqa: B023
            print(f"| `codereason tag` -j 2 vs -j 1 end to end, {label}, JSONL out | {ratio} faster |")
        files = iter_input_files(root / "spurious-1p5b-gt-steps" / "results")
        ratio = speedup(lambda: tag_in_process(files, out, 1), lambda: tag_in_process(files, out, 2), args.repeats)
        print(f"| `tag_files` -j 2 vs -j 1 in this process, {n:,} responses, 20 JSON files | {ratio} faster |")
        for copies in (1, 8):
            path = write_copies(texts, copies, Path(tmp) / f"x{copies}.jsonl")
            size = path.stat().st_size / 1e6
            for jobs in (1, 2):
                rss = peak_rss_mb(tag_command(path, out, jobs))
                print(f"| `codereason tag -j {jobs}` peak RSS, {size:.0f} MB input ({copies}x) | {rss:.0f} MiB |")


if __name__ == "__main__":
    main()
