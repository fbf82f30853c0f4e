"""Tag + grade throughput of ``track`` and grading throughput per core (numbers go into the README).

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/bench_track.py

Each measurement runs ``codereason track`` over all 8,220 responses of
spurious-1p5b-gt-steps (5 checkpoints x MATH-500/AIME-2024/AIME-2025/AMC) in a
child process with an empty grade cache, and reports wall time and the peak RSS
of the command and its grading workers:

1. ``-j 1`` and ``-j 2`` (lenient policy: unboxed responses are parsed whole,
   the slow case), and ``-j 2 --require-boxed``;
2. the same ``-j 2`` run again on the warm cache (what a re-run after a
   classifier change costs);
3. grading alone on one core (``grade_many``, one worker), as responses/s/core.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKPOINTS = ("base", "step50", "step200", "step400", "step1000")


def child_cpu() -> float:
    """CPU seconds (user + system) of every finished child so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_track(results: Path, cache: Path, *options: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB of the child and its workers) of one ``track`` run."""
    command = [sys.executable, "-m", "codereason", "track", *(str(results / c) for c in CHECKPOINTS),
               "--bootstrap", "200", *options]
    env = {**os.environ, "CODEREASON_CACHE": str(cache)}
    start, cpu = time.perf_counter(), child_cpu()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    seconds = time.perf_counter() - start
    return seconds, child_cpu() - cpu, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def grading_rate_one_core(results: Path) -> tuple[int, float, float]:
    """(responses, responses per wall second, responses per worker CPU second) of
    ``grade_many`` with one worker and no cache. The CPU rate does not depend on
    what else the machine runs."""
    from codereason.grade import grade_many
    from codereason.io import iter_input_files, read_rows

    pairs = [(r["gold"], r["response"]) for p in iter_input_files(results) for r in read_rows(p)]
    start, cpu = time.perf_counter(), child_cpu()
    grade_many(pairs, n_jobs=1, require_boxed=True)
    wall, cpu = time.perf_counter() - start, child_cpu() - cpu
    return len(pairs), len(pairs) / wall, len(pairs) / cpu


def main() -> None:
    root = Path(os.environ.get("CODEREASON_REALDATA", "../shared/realdata"))
    results = root / "spurious-1p5b-gt-steps" / "results"
    print(f"cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, options in (("-j 1", ("-j", "1")), ("-j 2", ("-j", "2")),
                               ("-j 2 --require-boxed", ("-j", "2", "--require-boxed"))):
            cache = Path(tmp) / label.replace(" ", "_")
            seconds, cpu, peak = run_track(results, cache, *options)
            print(f"track 8,220 responses {label:22s} cold cache: {seconds:6.1f} s wall, {cpu:6.1f} s CPU "
                  f"({8220 / seconds:4.0f} responses/s), peak RSS so far {peak:4.0f} MiB")
        seconds, cpu, _ = run_track(results, Path(tmp) / "-j_2", "-j", "2")
        print(f"track 8,220 responses -j 2 warm cache:                {seconds:6.1f} s wall, {cpu:6.1f} s CPU")
    print(f"load average after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    n, rate, per_cpu = grading_rate_one_core(results)
    print(f"grade_many, 1 worker, --require-boxed, no cache: {n} responses, {rate:.0f}/s wall, "
          f"{per_cpu:.0f} per worker CPU second")


if __name__ == "__main__":
    main()
