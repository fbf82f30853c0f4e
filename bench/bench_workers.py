"""The worker layer against the code before it, alternating in one window (numbers go into the README).

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/bench_workers.py --before /tmp/main-code [--repeats 3]

On a host whose load changes from minute to minute, -j speed-ups of separate
runs cannot be compared. This script times ``codereason tag`` (-j 1 and -j 2,
the 32,880-response JSONL file of bench_classify.py, JSONL out) and
``classify_many`` (-j 1 and -j 2, 32,880 responses) with this checkout's code
and with the code in ``--before`` (e.g. ``git archive OLD | tar -x -C DIR``),
alternating run by run, and prints each -j 2 speed-up with its range, for
both codes. The ratio of the two speed-ups is what the worker layer costs or
saves, whatever the host did meanwhile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "bench"))

from bench_classify import load_texts, tag_command, write_copies  # noqa: E402

CLASSIFY = ("import sys, time; from codereason import classify_many; texts = open(sys.argv[1]).read().split('\\x00');"
            " t = time.perf_counter(); classify_many(texts, n_jobs=int(sys.argv[2])); print(time.perf_counter() - t)")


def seconds(command: list[str], code: Path, in_process: bool) -> float:
    env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.perf_counter()
    # From a folder without a codereason package: `-m`/`-c` put the working folder before PYTHONPATH.
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
    return float(done.stdout.strip()) if in_process else time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a folder holding the older codereason package")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    texts = load_texts(Path(os.environ.get("CODEREASON_REALDATA", "../shared/realdata")))
    codes = {"before": args.before.resolve(), "now": HERE}
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = write_copies(texts, 4, Path(tmp) / "copies.jsonl")
        joined = Path(tmp) / "texts.txt"
        joined.write_text("\x00".join(texts * 4))
        cases = {
            "codereason tag, 32,880 responses, one JSONL file": (lambda j: tag_command(jsonl, Path(tmp) / "out.jsonl", j), False),
            "classify_many, 32,880 responses": (lambda j: [sys.executable, "-c", CLASSIFY, str(joined), str(j)], True),
        }
        for name, (command, in_process) in cases.items():
            ratios = {code: [] for code in codes}
            for _ in range(args.repeats):
                for code, path in codes.items():
                    one = seconds(command(1), path, in_process)
                    two = seconds(command(2), path, in_process)
                    ratios[code].append(one / two)
            for code in codes:
                r = ratios[code]
                print(f"{name}: -j 2 vs -j 1, {code}: {statistics.median(r):.2f}x (range {min(r):.2f}-{max(r):.2f})",
                      flush=True)


if __name__ == "__main__":
    main()
