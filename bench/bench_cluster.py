"""Ray on one machine: what ``--ray`` costs and gives next to the local paths.

Over the 8,220 responses of spurious-1p5b-gt-steps (written once to a JSONL file
of ``{problem_id, sample_idx, response}``), on a local Ray cluster of ``--cpus`` CPUs:

1. ``codereason tag FILE --ray local -o DIR`` end to end (Ray start included) vs
   ``codereason tag FILE -j CPUS -o OUT.jsonl``;
2. in one process with Ray already up: ``tag_dataset(ds).materialize()`` vs
   ``classify_many(texts, n_jobs=CPUS)``, and whether the labels are equal.

Usage: ``CODEREASON_REALDATA=../shared/realdata python bench/bench_cluster.py [--cpus 2]``.
A markdown table goes to stdout. One run each: the numbers are for orientation
(this host is shared and noisy), not a benchmark of Ray at scale.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def write_jsonl(root: Path, path: Path) -> list[str]:
    from codereason import read_rows
    from codereason.io import iter_input_files

    rows = [row for file in iter_input_files(root / "spurious-1p5b-gt-steps" / "results") for row in read_rows(file)]
    with open(path, "w", encoding="utf-8") as handle:
        for i, row in enumerate(rows):
            handle.write(json.dumps({"problem_id": str(i), "sample_idx": 0, "response": row["response"]}) + "\n")
    return [row["response"] for row in rows]


def cli(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "codereason", *args], check=True, capture_output=True, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    root = Path(os.environ.get("CODEREASON_REALDATA", REPO.parent / "shared" / "realdata"))
    import ray

    from codereason import classify_many
    from codereason.cluster import tag_dataset

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        tmp = Path(tmp)
        texts = write_jsonl(root, tmp / "rollouts.jsonl")
        n = len(texts)
        print(f"| measure ({n:,} responses, {args.cpus} CPUs) | seconds | responses/s |\n|---|---|---|")
        seconds, _ = timed(lambda: cli("tag", str(tmp / "rollouts.jsonl"), "-j", str(args.cpus),
                                       "-o", str(tmp / "local.jsonl")))
        print(f"| `codereason tag FILE -j {args.cpus} -o OUT.jsonl`, end to end | {seconds:.1f} | {n / seconds:,.0f} |")
        seconds, _ = timed(lambda: cli("tag", str(tmp / "rollouts.jsonl"), "--ray", "local",
                                       "-o", str(tmp / "ray-out")))
        print(f"| `codereason tag FILE --ray local -o DIR`, end to end (starts Ray) | {seconds:.1f} | {n / seconds:,.0f} |")
        start, _ = timed(lambda: ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False))
        print(f"| `ray.init(num_cpus={args.cpus})` | {start:.1f} | |")
        ds = ray.data.read_json(str(tmp / "rollouts.jsonl"), lines=True)
        seconds, labelled = timed(lambda: tag_dataset(ds).materialize())
        print(f"| `tag_dataset(read_json(FILE)).materialize()`, Ray up | {seconds:.1f} | {n / seconds:,.0f} |")
        local_s, expected = timed(lambda: classify_many(texts, n_jobs=args.cpus))
        print(f"| `classify_many(texts, n_jobs={args.cpus})`, texts in memory | {local_s:.1f} | {n / local_s:,.0f} |")
        rows = sorted(labelled.take_all(), key=lambda row: int(row["problem_id"]))
        same = sum(row["code_reasoning"] == label.code_reasoning and row["code_spans"] == label.to_dict()["code_spans"]
                   for row, label in zip(rows, expected))
        print(f"| labels equal to `classify_many` | {same:,} of {n:,} | |")
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
