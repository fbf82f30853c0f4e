"""Cold-cache grading of the 8,220 responses of spurious-1p5b-gt-steps (numbers go into the README).

    CODEREASON_REALDATA=../shared/realdata .venv/bin/python bench/bench_grade.py [-j 2] [--save G.jsonl] [--compare G.jsonl]

Grades every response with :func:`codereason.grade.grade_many`, no cache, the
default (lenient) policy and ``--require-boxed``, and reports wall seconds and
the CPU seconds of this process and its grading workers (CPU seconds are what
the machine's other jobs do not change much). ``--save`` writes one line per
response (key, correct, pred, status) to a file *outside* the repository (it
holds extracted answers, which are third-party text); ``--compare`` lists every
response whose grade differs from such a file, e.g. one saved by the code of
another commit.

Before and after, alternating, four rounds on a quiet host (2026-12-03 morning), the old code
exported with ``git archive 4ce6744 | tar -x -C /tmp/old_code`` and run with
``PYTHONPATH=/tmp/old_code`` (its grades saved with ``--save``), then this code with ``--compare``
(medians of the rounds; the README has every round):

    before: lenient wall 14.4 s, CPU 28.0 s;  boxed wall 7.3 s, CPU 14.1 s
    after:  lenient wall 6.1 s, CPU 11.6 s;   boxed wall 2.1 s, CPU 3.8 s   (0 grades differ)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def load_rows(results: Path) -> list[dict]:
    from codereason.io import iter_input_files, read_rows

    return [r for p in iter_input_files(results) for r in read_rows(p)]


def run(rows: list[dict], n_jobs: int, require_boxed: bool) -> tuple[list, float, float]:
    """(grades, wall seconds, CPU seconds) of one cold grading pass."""
    from codereason.grade import grade_many

    pairs = [(r.get("gold"), r["response"]) for r in rows]
    start, cpu = time.perf_counter(), cpu_seconds()
    grades = grade_many(pairs, n_jobs=n_jobs, require_boxed=require_boxed, cache=None)
    return grades, time.perf_counter() - start, cpu_seconds() - cpu


def key(row: dict) -> str:
    return f"{row.get('checkpoint')}|{row.get('benchmark')}|{row['problem_id']}|{row['sample_idx']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--policy", choices=("lenient", "boxed", "both"), default="both")
    parser.add_argument("--save", type=Path, help="write the grades here (outside the repository)")
    parser.add_argument("--compare", type=Path, help="list the responses whose grade differs from this file")
    args = parser.parse_args()
    root = Path(os.environ.get("CODEREASON_REALDATA", "../shared/realdata"))
    rows = load_rows(root / "spurious-1p5b-gt-steps" / "results")
    policies = {"lenient": [False], "boxed": [True], "both": [False, True]}[args.policy]
    saved, before = [], {}
    if args.compare:
        before = {(e["policy"], e["key"]): e for e in map(json.loads, args.compare.read_text().splitlines())}
    for require_boxed in policies:
        policy = "boxed" if require_boxed else "lenient"
        grades, wall, cpu = run(rows, args.jobs, require_boxed)
        statuses = Counter(g.grade_status for g in grades)
        print(f"{policy:8s} -j {args.jobs}: {len(rows)} responses, wall {wall:.1f} s, CPU {cpu:.1f} s "
              f"({len(rows) / cpu:.0f} responses per CPU second); " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
              flush=True)
        differ = 0
        for row, g in zip(rows, grades):
            entry = {"policy": policy, "key": key(row), "correct": g.correct, "pred": g.pred,
                     "has_boxed": g.has_boxed, "status": g.grade_status}
            saved.append(entry)
            old = before.get((policy, entry["key"]))
            if old is not None and (old["correct"], old["status"], old["has_boxed"]) != (g.correct, g.grade_status, g.has_boxed):
                differ += 1
                print(f"  differs: {entry['key']}: {old['status']}/{old['correct']} -> {g.grade_status}/{g.correct}"
                      f" (pred {old['pred']!r} -> {g.pred!r}; gold {row.get('gold')!r})")
        if before:
            print(f"  {differ} of {len(rows)} grades differ from {args.compare}")
    if args.save:
        args.save.write_text("".join(json.dumps(e) + "\n" for e in saved))


if __name__ == "__main__":
    sys.exit(main())
